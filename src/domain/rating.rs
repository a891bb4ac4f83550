//! The applicant's rating of how their dossier was handled (the satisfaction indicator).

string_enum! {
    /// How satisfied the applicant was.
    pub enum Satisfaction {
        Satisfied => "satisfied",
        Normal => "normal",
        Dissatisfied => "dissatisfied",
    }
}
