//! Groups of users (admin only, enterprise licence): the reference's CRUD and members, and one
//! user's groups. Without an active licence every route answers 403 `enterprise_required`.

use actix_web::{HttpResponse, web};
use pincer_core::{GroupId, UserId};
use pincer_identity::groups::{Group, GroupInput, GroupSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_user_id;
use crate::auth::Authed;
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(list, create, update, delete, members, set_members, set_user_groups);

/// A group.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupDto {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    description: String,
    member_count: u64,
}

impl GroupDto {
    fn new(group: Group, member_count: u64) -> Self {
        Self { id: group.id.to_string(), name: group.name, description: group.description, member_count }
    }
}

impl From<GroupSummary> for GroupDto {
    fn from(s: GroupSummary) -> Self {
        Self::new(s.group, s.member_count)
    }
}

/// A new group, or the changes to one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    #[schema(max_length = 500)]
    description: Option<String>,
}

impl GroupBody {
    fn input(&self) -> GroupInput {
        GroupInput { name: self.name.clone(), description: self.description.clone() }
    }
}

fn parse_group_id(raw: &str) -> Result<GroupId, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}

const FORBIDDEN: &str = "Codes: `admin_required`, `missing_scope`, `enterprise_required`.";

/// Every group with its member count, by name (admin only, enterprise).
#[utoipa::path(
    get,
    path = "/api/groups",
    tag = "groups",
    responses(
        (status = 200, description = "The groups.", body = Vec<GroupDto>),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let groups = state.groups.list(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(groups.into_iter().map(GroupDto::from).collect::<Vec<_>>()))
}

/// Creates a group (admin only, enterprise).
#[utoipa::path(
    post,
    path = "/api/groups",
    tag = "groups",
    request_body = GroupBody,
    responses(
        (status = 201, description = "Created.", body = GroupDto),
        (status = 400, description = "Codes: `invalid_input` (a missing or invalid name).", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 409, description = "Codes: `group_name_taken`.", body = ErrorBody),
    ),
)]
async fn create(state: web::Data<AppState>, authed: Authed, body: Json<GroupBody>) -> Result<HttpResponse, ApiError> {
    let group = state.groups.create(&authed.principal, body.input()).await?;
    Ok(HttpResponse::Created().json(GroupDto::new(group, 0)))
}

/// Renames or re-describes a group (admin only, enterprise).
#[utoipa::path(
    patch,
    path = "/api/groups/{id}",
    tag = "groups",
    params(("id" = String, Path, format = Uuid, description = "The group's id.")),
    request_body = GroupBody,
    responses(
        (status = 200, description = "The updated group.", body = GroupDto),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input`.", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 404, description = "Codes: `group_not_found`.", body = ErrorBody),
        (status = 409, description = "Codes: `group_name_taken`.", body = ErrorBody),
    ),
)]
async fn update(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<GroupBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_group_id(&id)?;
    let group = state.groups.update(&authed.principal, id, body.input()).await?;
    let count = state.groups.members(&authed.principal, id).await?.len() as u64;
    Ok(HttpResponse::Ok().json(GroupDto::new(group, count)))
}

/// Deletes a group; its memberships go with it (admin only, enterprise).
#[utoipa::path(
    delete,
    path = "/api/groups/{id}",
    tag = "groups",
    params(("id" = String, Path, format = Uuid, description = "The group's id.")),
    responses(
        (status = 200, description = "Deleted.", body = Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 404, description = "Codes: `group_not_found`.", body = ErrorBody),
    ),
)]
async fn delete(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.groups.delete(&authed.principal, parse_group_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// A membership.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct MemberDto {
    #[schema(format = Uuid)]
    user_id: String,
    #[schema(format = Uuid)]
    group_id: String,
}

/// The group's members (admin only, enterprise).
#[utoipa::path(
    get,
    path = "/api/groups/{id}/members",
    tag = "groups",
    params(("id" = String, Path, format = Uuid, description = "The group's id.")),
    responses(
        (status = 200, description = "The members.", body = Vec<MemberDto>),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 404, description = "Codes: `group_not_found`.", body = ErrorBody),
    ),
)]
async fn members(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_group_id(&id)?;
    let members = state.groups.members(&authed.principal, id).await?;
    let group_id = id.to_string();
    let dtos: Vec<MemberDto> =
        members.into_iter().map(|u| MemberDto { user_id: u.to_string(), group_id: group_id.clone() }).collect();
    Ok(HttpResponse::Ok().json(dtos))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MembersBody {
    /// Every member: the group's members become exactly these.
    user_ids: Vec<String>,
}

/// Replaces the group's members at once; an unknown user id changes nothing (admin only,
/// enterprise).
#[utoipa::path(
    put,
    path = "/api/groups/{id}/members",
    tag = "groups",
    params(("id" = String, Path, format = Uuid, description = "The group's id.")),
    request_body = MembersBody,
    responses(
        (status = 200, description = "Replaced.", body = Success),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input` (a malformed or unknown user id).", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 404, description = "Codes: `group_not_found`.", body = ErrorBody),
    ),
)]
async fn set_members(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<MembersBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_group_id(&id)?;
    let users = body
        .user_ids
        .iter()
        .map(|raw| raw.parse::<UserId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad_request("invalid_input", "userIds must be user ids"))?;
    state.groups.set_members(&authed.principal, id, &users).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserGroupsBody {
    /// Every group: the user's groups become exactly these.
    group_ids: Vec<String>,
}

/// Replaces one user's groups at once; an unknown group changes nothing (admin only,
/// enterprise).
#[utoipa::path(
    put,
    path = "/api/users/{id}/groups",
    tag = "groups",
    params(("id" = String, Path, format = Uuid, description = "The user's id.")),
    request_body = UserGroupsBody,
    responses(
        (status = 200, description = "Replaced.", body = Success),
        (status = 400, description = "Codes: `invalid_id`, `invalid_input` (a malformed group id), `unknown_group`.", body = ErrorBody),
        (status = 403, description = FORBIDDEN, body = ErrorBody),
        (status = 404, description = "Codes: `user_not_found`.", body = ErrorBody),
    ),
)]
async fn set_user_groups(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<String>,
    body: Json<UserGroupsBody>,
) -> Result<HttpResponse, ApiError> {
    let user = parse_user_id(&id)?;
    let groups = body
        .group_ids
        .iter()
        .map(|raw| raw.parse::<GroupId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad_request("invalid_input", "groupIds must be group ids"))?;
    state.groups.set_user_groups(&authed.principal, user, &groups).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}
