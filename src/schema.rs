//! Table definitions, in types both backends share (see the stack notes): ids are `BigInt`,
//! instants are UTC `Timestamp`, lists are JSON in `Text`.

diesel::table! {
    /// Organisations that fund, host, run or teach in programmes, foreign and Vietnamese.
    partners (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        name_local -> Nullable<Text>,
        kind -> Text,
        country -> Text,
        website -> Nullable<Text>,
        notes -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Cooperation programmes.
    programs (id) {
        id -> BigInt,
        code -> Text,
        title -> Text,
        title_vi -> Nullable<Text>,
        kind -> Text,
        status -> Text,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        agreement_signed_on -> Nullable<Date>,
        planned_trainees -> Nullable<Integer>,
        planned_cohorts -> Nullable<Integer>,
        focus_areas -> Text,
        description -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// The roles a partner holds in a programme.
    program_partners (id) {
        id -> BigInt,
        program_id -> BigInt,
        partner_id -> BigInt,
        roles -> Text,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Who changed what, when: written in the same transaction as the change.
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> BigInt,
        changes -> Text,
        request_id -> Nullable<Text>,
    }
}

diesel::joinable!(program_partners -> programs (program_id));
diesel::joinable!(program_partners -> partners (partner_id));

diesel::table! {
    /// Accounts.
    users (id) {
        id -> BigInt,
        email -> Text,
        email_key -> Text,
        display_name -> Text,
        search_text -> Text,
        role -> Text,
        partner_id -> Nullable<BigInt>,
        active -> Bool,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    /// Hashes of refresh tokens, in families that rotate together.
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Secrets the service generated for itself (the JWT signing key).
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> partners (partner_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    partners,
    programs,
    program_partners,
    audit_events,
    users,
    refresh_tokens,
    app_secrets
);
