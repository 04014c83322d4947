"""Identity through the real Databricks SDK for Python (databricks-sdk, unchanged): SCIM users,
groups (nested, PATCH add/remove members), service principals, current user, Token and Token
Management APIs, and admin-only writes.

Usage: DATABRICKS_HOST=http://127.0.0.1:port DATABRICKS_TOKEN=lbx_... python databricks_sdk_identity.py
Prints one JSON object with what the SDK saw; tests/security/identity-sdk.test.ts asserts on it.
"""

import json
import os

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service import iam

HOST = os.environ["DATABRICKS_HOST"]
w = WorkspaceClient(host=HOST, token=os.environ["DATABRICKS_TOKEN"], auth_type="pat")
PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
out = {}


def err(fn):
    try:
        fn()
        return None
    except DatabricksError as e:
        return type(e).__name__


me = w.current_user.me()
out["me"] = {"user_name": me.user_name, "groups": sorted(g.display for g in me.groups or [])}

u1 = w.users.create(user_name="sdk.one@example.com", display_name="SDK One")
u2 = w.users.create(user_name="sdk.two@example.com", display_name="SDK Two")
out["created_user"] = {"user_name": u1.user_name, "display_name": u1.display_name, "active": u1.active,
                       "emails": [e.value for e in u1.emails or []]}
out["duplicate_user"] = err(lambda: w.users.create(user_name="sdk.one@example.com"))
out["filtered"] = [u.user_name for u in w.users.list(filter='userName eq "sdk.one@example.com"')]
# the SDK pages with startIndex/count until an empty page
out["all_users"] = sorted(u.user_name for u in w.users.list(count=1))
out["get_user"] = w.users.get(u1.id).display_name

w.users.update(u1.id, user_name="sdk.one@example.com", display_name="SDK Uno", active=True)
out["after_put"] = w.users.get(u1.id).display_name
# (Patch.as_dict drops a falsy value, so `path="active", value=False` would arrive without a value:
# send the attribute in a value object instead, as identity providers do)
w.users.patch(u2.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, value={"active": False})], schemas=PATCH)
out["after_patch_active"] = w.users.get(u2.id).active
out["patch_without_value"] = err(lambda: w.users.patch(
    u2.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=False)], schemas=PATCH))
w.users.patch(u2.id, operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=True)], schemas=PATCH)

inner = w.groups.create(display_name="sdk-analysts", members=[iam.ComplexValue(value=u1.id)])
outer = w.groups.create(display_name="sdk-data")
w.groups.patch(outer.id, operations=[iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": inner.id}])],
               schemas=PATCH)
w.groups.patch(inner.id, operations=[iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": u2.id}])],
               schemas=PATCH)
out["inner_members"] = sorted(m.display for m in w.groups.get(inner.id).members or [])
out["outer_members"] = sorted(m.display for m in w.groups.get(outer.id).members or [])
out["user_groups"] = sorted((g.display, g.type) for g in w.users.get(u1.id).groups or [])
w.groups.patch(inner.id, operations=[iam.Patch(op=iam.PatchOp.REMOVE, path=f'members[value eq "{u1.id}"]')],
               schemas=PATCH)
out["inner_after_remove"] = sorted(m.display for m in w.groups.get(inner.id).members or [])
out["groups_filtered"] = [g.display_name for g in w.groups.list(filter='displayName sw "sdk-"')]

sp = w.service_principals.create(display_name="sdk-etl")
out["sp"] = {"display_name": sp.display_name, "has_application_id": bool(sp.application_id), "active": sp.active}
out["sp_listed"] = [s.display_name for s in w.service_principals.list(filter=f'applicationId eq "{sp.application_id}"')]
obo = w.token_management.create_obo_token(application_id=sp.application_id, lifetime_seconds=600, comment="etl")
w_sp = WorkspaceClient(host=HOST, token=obo.token_value, auth_type="pat")
out["sp_me"] = w_sp.current_user.me().user_name == sp.application_id
out["tm_list"] = any(t.token_id == obo.token_info.token_id for t in w.token_management.list())
out["tm_get"] = w.token_management.get(obo.token_info.token_id).token_info.comment
w.token_management.delete(obo.token_info.token_id)
out["sp_after_revoke"] = err(lambda: w_sp.current_user.me())

# a non-administrator may read but not write
# (an administrator creates a token for the user with Lakebox's user_name extension of the Token API)
resp = w.api_client.do("POST", "/api/2.0/token/create", body={"user_name": "sdk.one@example.com", "lifetime_seconds": 600})
w_user = WorkspaceClient(host=HOST, token=resp["token_value"], auth_type="pat")
out["user_me"] = w_user.current_user.me().user_name
out["user_reads"] = len(list(w_user.users.list(filter='userName eq "sdk.two@example.com"')))
out["user_writes"] = err(lambda: w_user.users.create(user_name="evil@example.com"))
out["user_group_write"] = err(lambda: w_user.groups.patch(
    inner.id, operations=[iam.Patch(op=iam.PatchOp.ADD, path="members", value=[{"value": u1.id}])], schemas=PATCH))
out["user_tm"] = err(lambda: list(w_user.token_management.list()))

w.users.delete(u2.id)
out["deleted_get"] = err(lambda: w.users.get(u2.id))
w.groups.delete(outer.id)
out["groups_after_delete"] = sorted(g.display_name for g in w.groups.list())

print(json.dumps(out))
