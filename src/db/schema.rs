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
        token_generation -> Integer,
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

diesel::table! {
    fee_policies (id) {
        id -> Binary,
        name -> Text,
        legal_basis -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        channel -> Nullable<Text>,
        effect -> Text,
        amount -> BigInt,
        stacking -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    fee_policy_targets (policy_id, kind, value) {
        policy_id -> Binary,
        kind -> Text,
        value -> Text,
    }
}

diesel::table! {
    dossier_fees (dossier_id, position) {
        dossier_id -> Binary,
        position -> Integer,
        fee_item_id -> Binary,
        name -> Text,
        base_amount -> BigInt,
        charged_amount -> BigInt,
        policies -> Text,
    }
}

diesel::table! {
    dossier_payments (id) {
        id -> Binary,
        dossier_id -> Binary,
        amount -> BigInt,
        method -> Text,
        receipt_number -> Nullable<Text>,
        transaction_id -> Nullable<Text>,
        paid_at -> Timestamp,
        recorded_by -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Binary,
        owner_national_id -> Text,
        kind -> Text,
        title -> Text,
        issuing_unit_id -> Nullable<Binary>,
        issued_on -> Date,
        valid_until -> Nullable<Date>,
        sha256 -> Text,
        content_type -> Text,
        size -> BigInt,
        code -> Nullable<Text>,
        result_number -> Nullable<Text>,
        procedure_id -> Nullable<Binary>,
        source_dossier_id -> Nullable<Binary>,
        source_component_id -> Nullable<Binary>,
        signature -> Nullable<Text>,
        signing_key_id -> Nullable<Binary>,
        digitized_by -> Nullable<Binary>,
        digitized_at -> Timestamp,
    }
}

diesel::table! {
    unit_signing_keys (id) {
        id -> Binary,
        unit_id -> Binary,
        public_key -> Text,
        secret_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_results (dossier_id) {
        dossier_id -> Binary,
        file_id -> Binary,
        attached_by -> Binary,
        attached_at -> Timestamp,
        document_id -> Nullable<Binary>,
    }
}

diesel::table! {
    digitization_plans (unit_id, period) {
        unit_id -> Binary,
        period -> Text,
        planned -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Binary,
        channel -> Text,
        kind -> Text,
        recipient -> Text,
        dossier_id -> Nullable<Binary>,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        dedup_key -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Binary,
        name -> Text,
        url -> Text,
        secret -> Text,
        events -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(accounts -> units (unit_id));
diesel::joinable!(procedure_components -> procedures (procedure_id));
diesel::joinable!(procedure_fees -> procedures (procedure_id));
diesel::joinable!(procedure_steps -> procedures (procedure_id));
diesel::joinable!(procedure_units -> procedures (procedure_id));
diesel::joinable!(procedure_units -> units (unit_id));

diesel::table! {
    files (id) {
        id -> Binary,
        owner_id -> Binary,
        sha256 -> Text,
        size -> BigInt,
        content_type -> Text,
        file_name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_code_counters (unit_id, day) {
        unit_id -> Binary,
        day -> Text,
        last_sequence -> Integer,
    }
}

diesel::table! {
    dossiers (id) {
        id -> Binary,
        code -> Nullable<Text>,
        procedure_id -> Binary,
        channel -> Text,
        status -> Text,
        receiving_unit_id -> Binary,
        processing_unit_id -> Binary,
        applicant_account_id -> Nullable<Binary>,
        applicant_national_id -> Text,
        applicant_full_name -> Text,
        applicant_phone -> Nullable<Text>,
        applicant_email -> Nullable<Text>,
        applicant_address -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        reception_due_at -> Nullable<Timestamp>,
        received_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        apology_due_at -> Nullable<Timestamp>,
        paused_at -> Nullable<Timestamp>,
        paused_seconds -> BigInt,
        supplement_requests -> Integer,
        resume_status -> Nullable<Text>,
        assigned_specialist_id -> Nullable<Binary>,
        draft_submitted -> Bool,
        step_index -> Integer,
        step_started_at -> Nullable<Timestamp>,
        step_paused_base -> BigInt,
        finished_at -> Nullable<Timestamp>,
        version -> Integer,
        created_by -> Binary,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        overdue_at -> Nullable<Timestamp>,
        processing_seconds -> Nullable<BigInt>,
    }
}

diesel::table! {
    dossier_components (dossier_id, component_id) {
        dossier_id -> Binary,
        component_id -> Binary,
        file_id -> Nullable<Binary>,
        added_at -> Timestamp,
        document_id -> Nullable<Binary>,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> Binary,
        dossier_id -> Binary,
        seq -> Integer,
        action -> Text,
        actor_id -> Nullable<Binary>,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        details -> Text,
        step_name -> Nullable<Text>,
        step_due_at -> Nullable<Timestamp>,
        step_timeliness -> Nullable<Text>,
        at -> Timestamp,
        hash -> Binary,
    }
}

diesel::table! {
    dossier_ratings (dossier_id) {
        dossier_id -> Binary,
        rating -> Text,
        comment -> Nullable<Text>,
        rated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> Binary,
        key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_tallies (dossier_id) {
        dossier_id -> Binary,
        receiving_unit_id -> Binary,
        processing_unit_id -> Binary,
        procedure_id -> Binary,
        online -> Bool,
        submitted_on -> Nullable<Integer>,
        reception_late_on -> Nullable<Integer>,
        received_on -> Nullable<Integer>,
        refused_on -> Nullable<Integer>,
        finished_on -> Nullable<Integer>,
        left_on -> Nullable<Integer>,
        timeliness -> Nullable<Text>,
        overdue_on -> Nullable<Integer>,
        processing_seconds -> BigInt,
        reused -> Bool,
        digitized -> Bool,
        results_issued -> Integer,
        results_on -> Nullable<Integer>,
        with_fee -> Bool,
        paid_online -> Bool,
        discount_vnd -> BigInt,
        rating -> Nullable<Text>,
        rated_on -> Nullable<Integer>,
    }
}

diesel::table! {
    report_buckets (unit_id, period, procedure_id) {
        unit_id -> Binary,
        procedure_id -> Binary,
        period -> Integer,
        intake_online -> BigInt,
        intake_desk -> BigInt,
        refused -> BigInt,
        awaiting_started -> BigInt,
        awaiting_ended -> BigInt,
        awaiting_late_started -> BigInt,
        awaiting_late_ended -> BigInt,
        received_online -> BigInt,
        received_desk -> BigInt,
        finished_early -> BigInt,
        finished_on_time -> BigInt,
        finished_late -> BigInt,
        overdue_started -> BigInt,
        overdue_ended -> BigInt,
        processing_seconds -> BigInt,
        reused -> BigInt,
        digitized -> BigInt,
        results_issued -> BigInt,
        with_fee -> BigInt,
        paid_online -> BigInt,
        discount_vnd -> BigInt,
        satisfied -> BigInt,
        normal -> BigInt,
        dissatisfied -> BigInt,
    }
}

// report_deltas has no key in the database (rows are only appended and deleted in bulk);
// diesel needs one declared.
diesel::table! {
    report_deltas (unit_id, period, procedure_id) {
        unit_id -> Binary,
        procedure_id -> Binary,
        period -> Integer,
        intake_online -> BigInt,
        intake_desk -> BigInt,
        refused -> BigInt,
        awaiting_started -> BigInt,
        awaiting_ended -> BigInt,
        awaiting_late_started -> BigInt,
        awaiting_late_ended -> BigInt,
        received_online -> BigInt,
        received_desk -> BigInt,
        finished_early -> BigInt,
        finished_on_time -> BigInt,
        finished_late -> BigInt,
        overdue_started -> BigInt,
        overdue_ended -> BigInt,
        processing_seconds -> BigInt,
        reused -> BigInt,
        digitized -> BigInt,
        results_issued -> BigInt,
        with_fee -> BigInt,
        paid_online -> BigInt,
        discount_vnd -> BigInt,
        satisfied -> BigInt,
        normal -> BigInt,
        dissatisfied -> BigInt,
    }
}

diesel::joinable!(dossiers -> procedures (procedure_id));
diesel::joinable!(dossier_components -> dossiers (dossier_id));
diesel::joinable!(dossier_events -> dossiers (dossier_id));
diesel::joinable!(dossier_ratings -> dossiers (dossier_id));
diesel::joinable!(files -> accounts (owner_id));

diesel::allow_tables_to_appear_in_same_query!(
    notifications,
    webhook_subscriptions,
    units,
    accounts,
    calendar_days,
    procedures,
    procedure_components,
    procedure_fees,
    procedure_steps,
    procedure_units,
    files,
    dossier_code_counters,
    dossiers,
    dossier_components,
    dossier_events,
    dossier_ratings,
    idempotency_keys,
    fee_policies,
    fee_policy_targets,
    dossier_fees,
    dossier_payments,
    documents,
    unit_signing_keys,
    dossier_results,
    digitization_plans,
    dossier_tallies,
    report_buckets,
    report_deltas,
);
