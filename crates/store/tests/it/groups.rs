//! `GroupStore`: groups with member counts by name, unique names, members and a user's groups
//! replaced at once — a replacement naming a missing user or group changes nothing — and a
//! deleted group takes its memberships with it.

use pincer_core::{GroupId, Role, Rule, StoreError, Timestamp, UserId};
use pincer_identity::groups::Group;

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
            db.insert(u).await.unwrap();
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
