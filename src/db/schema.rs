//! The diesel schema, written by hand to match both migration folders (a test checks the
//! migrations agree with each other).

diesel::table! {
    units (id) {
        id -> Binary,
        code -> Text,
        name -> Text,
        parent_id -> Nullable<Binary>,
        level -> Text,
        path -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Binary,
        username -> Text,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        unit_id -> Nullable<Binary>,
        national_id -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        year -> Integer,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    procedures (id) {
        id -> Binary,
        code -> Text,
        version -> Integer,
        is_latest -> Bool,
        name -> Text,
        search_text -> Text,
        field -> Text,
        field_key -> Text,
        level -> Text,
        processing_amount -> Integer,
        processing_unit -> Text,
        online_service -> Text,
        online_payment -> Bool,
        legal_basis -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    procedure_components (id) {
        id -> Binary,
        procedure_id -> Binary,
        position -> Integer,
        name -> Text,
        mandatory -> Bool,
        digitized_copy_accepted -> Bool,
    }
}

diesel::table! {
    procedure_fees (id) {
        id -> Binary,
        procedure_id -> Binary,
        position -> Integer,
        name -> Text,
        amount -> BigInt,
    }
}

diesel::table! {
    procedure_steps (procedure_id, position) {
        procedure_id -> Binary,
        position -> Integer,
        name -> Text,
        share -> Integer,
    }
}

diesel::table! {
    procedure_units (procedure_id, unit_id) {
        procedure_id -> Binary,
        unit_id -> Binary,
    }
}

diesel::joinable!(accounts -> units (unit_id));
diesel::joinable!(procedure_components -> procedures (procedure_id));
diesel::joinable!(procedure_fees -> procedures (procedure_id));
diesel::joinable!(procedure_steps -> procedures (procedure_id));
diesel::joinable!(procedure_units -> procedures (procedure_id));
diesel::joinable!(procedure_units -> units (unit_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    accounts,
    calendar_days,
    procedures,
    procedure_components,
    procedure_fees,
    procedure_steps,
    procedure_units,
);
