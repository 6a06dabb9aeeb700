//! The one portable schema, kept by hand in step with both migration folders. Portable types only:
//! ids are UUID strings, times BIGINT milliseconds, booleans, nullable where the domain says so.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        banned -> Bool,
        password_hash -> Text,
        context -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        password_changed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    invites (id) {
        id -> Text,
        kind -> Text,
        token_hash -> Text,
        email -> Nullable<Text>,
        role -> Text,
        user_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        encrypted -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        scopes -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(api_tokens, users);
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(invites -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, sessions, invites, settings);

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        version -> Integer,
        timestamp -> BigInt,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        event_type -> Text,
        resource -> Nullable<Text>,
        detail -> Text,
        outcome -> Text,
        prev_hmac -> Text,
        row_hmac -> Text,
    }
}

diesel::table! {
    audit_pseudonyms (user_id) {
        user_id -> Text,
        pseudonym -> Text,
        created_at -> BigInt,
        mac -> Nullable<Text>,
    }
}

// The sealed head of the audit chain (one row, `slot` = 1).
diesel::table! {
    audit_head (slot) {
        slot -> Integer,
        last_id -> BigInt,
        last_hmac -> Text,
        head_mac -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_log, audit_pseudonyms, users);

diesel::table! {
    agents (id) {
        id -> Text,
        name -> Text,
        model -> Nullable<Text>,
        template_id -> Text,
        /// JSON array of tool ids.
        allowed_tools -> Text,
        /// JSON array of folders.
        allowed_paths -> Text,
        personal_owner -> Nullable<Text>,
        created_by -> Nullable<Text>,
        greeting -> Text,
        instructions -> Text,
        tagline -> Text,
        /// JSON array of prompts.
        starter_prompts -> Text,
        deleted_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        /// `all` or `restricted` (to admins and the members of its `agent_groups`).
        visibility -> Text,
    }
}

diesel::table! {
    providers (name) {
        name -> Text,
        kind -> Text,
        sealed_api_key -> Nullable<Text>,
        key_hint -> Text,
        base_url -> Nullable<Text>,
        default_model -> Nullable<Text>,
        is_default -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::joinable!(agents -> users (personal_owner));
diesel::allow_tables_to_appear_in_same_query!(agents, providers, users);

diesel::table! {
    chats (id) {
        id -> Text,
        user_id -> Text,
        agent_id -> Text,
        key -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        /// The first user message's, until the user sets one.
        title -> Text,
        title_set_by_user -> Bool,
        /// `web`, or the messaging channel the conversation came through.
        channel -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        chat_id -> Text,
        /// The order within the chat (max + 1 at insert).
        seq -> BigInt,
        role -> Text,
        content -> Text,
        status -> Text,
        /// JSON array of tool steps.
        steps -> Text,
        client_message_id -> Nullable<Text>,
        run_id -> Nullable<Text>,
        error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        /// The node running the answer while it streams (`NULL` for user messages and rows from
        /// before nodes were recorded).
        node_id -> Nullable<Text>,
    }
}

diesel::joinable!(chats -> users (user_id));
diesel::joinable!(chats -> agents (agent_id));
diesel::joinable!(messages -> chats (chat_id));
diesel::allow_tables_to_appear_in_same_query!(chats, messages, users);
diesel::allow_tables_to_appear_in_same_query!(chats, agents);
diesel::allow_tables_to_appear_in_same_query!(usage_records, agents);

diesel::table! {
    usage_records (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        agent_id -> Nullable<Text>,
        provider -> Text,
        model -> Text,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cache_read_tokens -> BigInt,
        cache_write_tokens -> BigInt,
        cost_nanos -> Nullable<BigInt>,
        source -> Text,
        run_id -> Text,
        step -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Pairing codes (identity::pairing): stored as their SHA-256 only.
    pairings (id) {
        id -> Text,
        code_hash -> Text,
        purpose -> Text,
        issued_for -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<BigInt>,
        collected_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Monthly spend limits (pincer-usage's budgets); `target` is '' for the organisation.
    budgets (scope, target) {
        scope -> Text,
        target -> Text,
        limit_nanos -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Usage summed per UTC day, agent, user and source (kept by a trigger on usage_records).
    usage_daily (day, agent_id, user_id, source) {
        day -> BigInt,
        agent_id -> Text,
        user_id -> Text,
        source -> Text,
        calls -> BigInt,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cache_read_tokens -> BigInt,
        cache_write_tokens -> BigInt,
        cost_nanos -> BigInt,
    }
}

diesel::table! {
    /// Usage summed per hour and agent (kept by a trigger on usage_records).
    usage_hourly (hour, agent_id) {
        hour -> BigInt,
        agent_id -> Text,
        calls -> BigInt,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cache_read_tokens -> BigInt,
        cache_write_tokens -> BigInt,
        cost_nanos -> BigInt,
    }
}

diesel::table! {
    /// The models called without a price, per day and agent (kept by a trigger on usage_records).
    usage_unpriced (day, agent_id, provider, model) {
        day -> BigInt,
        agent_id -> Text,
        provider -> Text,
        model -> Text,
    }
}

diesel::table! {
    /// Groups of users (enterprise). `groups` is a reserved word, hence the name.
    user_groups (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Who belongs to which group.
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
    }
}

diesel::joinable!(group_members -> user_groups (group_id));
diesel::allow_tables_to_appear_in_same_query!(group_members, user_groups, users);

diesel::table! {
    /// The groups of a restricted agent.
    agent_groups (agent_id, group_id) {
        agent_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    /// The groups an invite's new account joins.
    invite_groups (invite_id, group_id) {
        invite_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    /// Long-term memory entries, one user's each.
    memories (id) {
        id -> Text,
        user_id -> Text,
        agent_id -> Nullable<Text>,
        content -> Text,
        /// JSON array of tags.
        tags -> Text,
        /// `user` or `agent`.
        source -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Each user's memory settings (absent: the defaults).
    memory_settings (user_id) {
        user_id -> Text,
        enabled -> Bool,
        auto_inject -> Bool,
        max_injected -> BigInt,
        max_entry_chars -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_slots (id) {
        id -> Text,
        name -> Text,
        agent_id -> Text,
        description -> Text,
        sync_timeout_secs -> BigInt,
        signature -> Text,
        secret_sealed -> Text,
        secret_hint -> Text,
        owner_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_requests (id) {
        id -> Text,
        slot_id -> Text,
        delivery_id -> Nullable<Text>,
        state -> Text,
        answer -> Nullable<Text>,
        error -> Nullable<Text>,
        session_id -> Nullable<Text>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Agents bound to transport accounts (`agent_id` NULL: the main bot).
    channel_bindings (id) {
        id -> Text,
        transport -> Text,
        slot -> Text,
        agent_id -> Nullable<Text>,
        account_id -> Text,
        account_name -> Text,
        secret_sealed -> Text,
        secret_hint -> Text,
        secret_digest -> Text,
        enabled -> Bool,
        cursor -> BigInt,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<BigInt>,
        created_by -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Users' identities on transports.
    channel_links (transport, external_id) {
        transport -> Text,
        external_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// The chat key each conversation of a binding continues in, per user.
    channel_threads (binding_id, conversation, user_id) {
        binding_id -> Text,
        conversation -> Text,
        user_id -> Text,
        chat_key -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    security_reports (day) {
        day -> Text,
        created_at -> BigInt,
        score -> Integer,
        checks -> Text,
    }
}
