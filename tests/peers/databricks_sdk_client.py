"""Drives a Lakebox server with the real Databricks SDK for Python (databricks-sdk), unchanged.

Usage: DATABRICKS_HOST=http://127.0.0.1:port DATABRICKS_TOKEN=lbx_... python databricks_sdk_client.py
Prints one JSON object with what the SDK saw; the test asserts on it.
"""

import json
import os

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.catalog import VolumeType

w = WorkspaceClient(host=os.environ["DATABRICKS_HOST"], token=os.environ["DATABRICKS_TOKEN"], auth_type="pat")
out = {}

out["me"] = w.current_user.me().user_name
out["catalogs"] = sorted(c.name for c in w.catalogs.list())

created = w.catalogs.create(name="sdk_cat", comment="made by the SDK", properties={"team": "data"})
out["created_catalog"] = {"name": created.name, "comment": created.comment, "owner": created.owner, "properties": created.properties}
w.schemas.create(name="bronze", catalog_name="sdk_cat", comment="raw")
out["schemas"] = sorted(s.full_name for s in w.schemas.list(catalog_name="sdk_cat"))
out["schema"] = w.schemas.get("sdk_cat.bronze").comment

t = w.tables.get("main.default.orders")
out["table"] = {
    "full_name": t.full_name,
    "table_type": t.table_type.value,
    "format": t.data_source_format.value,
    "columns": [[c.name, c.type_text, c.type_name.value, c.nullable] for c in t.columns],
}
out["tables"] = [x.name for x in w.tables.list(catalog_name="main", schema_name="default")]

try:
    w.tables.get("main.default.ordres")
    out["missing_table"] = None
except DatabricksError as e:
    out["missing_table"] = {"class": type(e).__name__, "error_code": e.error_code, "message": str(e)}

v = w.volumes.create(catalog_name="sdk_cat", schema_name="bronze", name="landing", volume_type=VolumeType.MANAGED)
out["volume"] = {"full_name": v.full_name, "type": v.volume_type.value}
out["volume_read"] = w.volumes.read("sdk_cat.bronze.landing").full_name

tok = w.tokens.create(comment="from the sdk", lifetime_seconds=600)
out["new_token_prefix"] = tok.token_value[:4]
out["listed_token"] = any(i.token_id == tok.token_info.token_id and i.comment == "from the sdk" for i in w.tokens.list())
w2 = WorkspaceClient(host=os.environ["DATABRICKS_HOST"], token=tok.token_value, auth_type="pat")
out["me_with_new_token"] = w2.current_user.me().user_name
w.tokens.delete(tok.token_info.token_id)
try:
    w2.current_user.me()
    out["revoked"] = None
except DatabricksError as e:
    out["revoked"] = type(e).__name__

try:
    w.catalogs.delete("sdk_cat")
    out["delete_non_empty"] = None
except DatabricksError as e:
    out["delete_non_empty"] = e.error_code
w.catalogs.delete("sdk_cat", force=True)
out["catalogs_after"] = sorted(c.name for c in w.catalogs.list())

print(json.dumps(out))
