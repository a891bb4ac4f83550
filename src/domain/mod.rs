//! The law and the rules, as pure functions over plain types: no I/O, no diesel, no actix.

/// Declares a closed set of names with its snake_case text form, used in JSON and in the
/// database alike: `as_str`, `parse` and `ALL`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        // Every text form is the variant's name in snake_case; saying so here (and not only per
        // variant) is what the OpenAPI derive reads.
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text form, as in JSON and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the text form.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod accounts;
pub mod calendar;
pub mod codes;
pub mod deadline;
pub mod documents;
pub mod fees;
pub mod imports;
pub mod indicators;
pub mod lifecycle;
pub mod notices;
pub mod procedures;
pub mod rating;
pub mod tally;
pub mod text;
pub mod timeliness;
pub mod units;
pub mod workflow;
