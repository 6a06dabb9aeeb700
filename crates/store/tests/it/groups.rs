//! `GroupStore`: groups with member counts by name, unique names, members and a user's groups
//! replaced at once — a replacement naming a missing user or group changes nothing — and a
//! deleted group takes its memberships with it, and leaves the agents and invites that named it.
//! A restricted agent's groups and an invite's groups are kept whole or not at all.

use pincer_agents::visibility::Visibility;
use pincer_agents::{Agent, AgentStore};
use pincer_core::{GroupId, Role, Rule, StoreError, Timestamp, UserId};
use pincer_identity::groups::Group;
use pincer_identity::{Invite, InviteStore, UserStore};

use crate::support::{NOW, each_group_store, user};

fn group(name: &str) -> Group {
    Group {
        id: GroupId::new(),
        name: name.into(),
        description: format!("{name} people"),
        created_at: NOW,
        updated_at: NOW,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_and_members_are_replaced_whole_or_not_at_all() {
    each_group_store(|db| async move {
        let (ada, bob, cy) = (
            user("ada@example.com", Role::Member),
            user("bob@example.com", Role::Member),
            user("cy@example.com", Role::Admin),
        );
        for u in [&ada, &bob, &cy] {
            UserStore::insert(&*db, u).await.unwrap();
        }
        let (eng, ops) = (group("Engineering"), group("Ops"));
        db.insert_group(&ops).await.unwrap();
        db.insert_group(&eng).await.unwrap();
        assert_eq!(db.insert_group(&group("Ops")).await, Err(StoreError::Conflict(Rule::GroupName)));

        db.replace_group_members(eng.id, &[ada.id, bob.id]).await.unwrap();
        let listed = db.list_groups().await.unwrap();
        let names: Vec<(&str, u64)> = listed.iter().map(|s| (s.group.name.as_str(), s.member_count)).collect();
        assert_eq!(names, [("Engineering", 2), ("Ops", 0)], "by name, with counts");

        // A missing user: nothing changes.
        let ghost = UserId::new();
        assert_eq!(
            db.replace_group_members(eng.id, &[cy.id, ghost]).await,
            Err(StoreError::Conflict(Rule::ForeignKey))
        );
        let mut members = db.group_members(eng.id).await.unwrap();
        members.sort();
        let mut want = vec![ada.id, bob.id];
        want.sort();
        assert_eq!(members, want);
        assert_eq!(db.replace_group_members(GroupId::new(), &[ada.id]).await, Err(StoreError::NotFound));
        assert_eq!(db.group_members(GroupId::new()).await, Err(StoreError::NotFound));

        // One user's groups, replaced at once.
        db.replace_user_groups(ada.id, &[ops.id, eng.id]).await.unwrap();
        assert_eq!(
            db.replace_user_groups(ada.id, &[GroupId::new()]).await,
            Err(StoreError::Conflict(Rule::ForeignKey))
        );
        assert_eq!(db.replace_user_groups(UserId::new(), &[ops.id]).await, Err(StoreError::NotFound));
        let of = db.groups_of(&[ada.id, bob.id, cy.id]).await.unwrap();
        assert_eq!(of[&ada.id], [(eng.id, "Engineering".to_string()), (ops.id, "Ops".to_string())], "by name");
        assert_eq!(of[&bob.id], [(eng.id, "Engineering".to_string())]);
        assert!(!of.contains_key(&cy.id));

        // Renamed (not onto another's name), then deleted with its memberships.
        let mut renamed = eng.clone();
        renamed.name = "Ops".into();
        assert_eq!(db.update_group(&renamed).await, Err(StoreError::Conflict(Rule::GroupName)));
        renamed.name = "Platform".into();
        renamed.updated_at = Timestamp(NOW.millis() + 1);
        db.update_group(&renamed).await.unwrap();
        assert_eq!(db.get_group(eng.id).await.unwrap(), Some(renamed));
        assert_eq!(db.update_group(&group("Nobody")).await, Err(StoreError::NotFound));
        assert!(db.delete_group(eng.id).await.unwrap());
        assert!(!db.delete_group(eng.id).await.unwrap());
        assert_eq!(db.groups_of(&[bob.id]).await.unwrap().len(), 0, "memberships went with the group");
        assert_eq!(db.list_groups().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restricted_agent_keeps_its_groups_whole_and_loses_a_deleted_one() {
    each_group_store(|db| async move {
        let (eng, ops) = (group("Engineering"), group("Ops"));
        db.insert_group(&eng).await.unwrap();
        db.insert_group(&ops).await.unwrap();
        let mut both = vec![eng.id, ops.id];
        both.sort_unstable();
        let open = crate::agents::agent("Open", 0);
        let restricted =
            Agent { visibility: Visibility::Restricted, group_ids: both.clone(), ..crate::agents::agent("Closed", 1) };
        AgentStore::insert(&*db, &open).await.unwrap();
        AgentStore::insert(&*db, &restricted).await.unwrap();
        let stored = AgentStore::get(&*db, restricted.id).await.unwrap().unwrap();
        assert_eq!((stored.visibility, &stored.group_ids), (Visibility::Restricted, &both));
        let live = db.list_live(UserId::new()).await.unwrap();
        let groups: Vec<(&str, &[GroupId])> = live.iter().map(|a| (a.name.as_str(), a.group_ids.as_slice())).collect();
        assert_eq!(groups, [("Open", &[][..]), ("Closed", both.as_slice())], "the list carries the groups too");

        // An unknown group refuses the whole update: the new name is not kept either.
        let bad = Agent { name: "Renamed".into(), group_ids: vec![eng.id, GroupId::new()], ..stored.clone() };
        assert_eq!(AgentStore::update(&*db, &bad).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        assert_eq!(AgentStore::get(&*db, restricted.id).await.unwrap().unwrap(), stored);

        let opened = Agent { visibility: Visibility::All, group_ids: vec![], ..stored.clone() };
        AgentStore::update(&*db, &opened).await.unwrap();
        assert_eq!(AgentStore::get(&*db, restricted.id).await.unwrap().unwrap(), opened);
        AgentStore::update(&*db, &stored).await.unwrap();

        assert!(db.delete_group(ops.id).await.unwrap());
        let left = AgentStore::get(&*db, restricted.id).await.unwrap().unwrap();
        assert_eq!(left.group_ids, [eng.id], "a deleted group leaves the agent");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invites_groups_are_joined_when_it_is_claimed() {
    each_group_store(|db| async move {
        let admin = user("admin@example.com", Role::Admin);
        UserStore::insert(&*db, &admin).await.unwrap();
        let (eng, ops) = (group("Engineering"), group("Ops"));
        db.insert_group(&eng).await.unwrap();
        db.insert_group(&ops).await.unwrap();
        let sorted = |mut ids: Vec<GroupId>| {
            ids.sort_unstable();
            ids
        };
        let inv = Invite { group_ids: vec![eng.id, ops.id], ..crate::support::invite(&admin, "h1", None) };
        InviteStore::insert(&*db, &inv).await.unwrap();
        let stray = Invite { group_ids: vec![GroupId::new()], ..crate::support::invite(&admin, "h2", None) };
        assert_eq!(InviteStore::insert(&*db, &stray).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        let listed = InviteStore::list(&*db).await.unwrap();
        assert_eq!(listed.len(), 1, "the refused invite is not kept");
        assert_eq!(sorted(listed[0].group_ids.clone()), sorted(vec![eng.id, ops.id]));
        let found = db.find_by_token_hash("h1").await.unwrap().unwrap();
        assert_eq!(sorted(found.group_ids), sorted(vec![eng.id, ops.id]));

        assert!(db.delete_group(ops.id).await.unwrap());
        assert_eq!(InviteStore::list(&*db).await.unwrap()[0].group_ids, [eng.id], "a deleted group drops out");

        let newcomer = user("new@example.com", Role::Member);
        db.claim_for_new_user(inv.id, NOW, &newcomer).await.unwrap();
        let groups = db.groups_of(&[newcomer.id]).await.unwrap();
        assert_eq!(groups[&newcomer.id], [(eng.id, "Engineering".to_string())]);
    })
    .await;
}
