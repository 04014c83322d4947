"""The real Unity Catalog Python client (`unitycatalog-client` from PyPI, unchanged) against
`lakebox start`: catalogs, schemas, tables (external and managed through a staging table), paging,
volumes, functions, registered models and versions, permissions, temporary credentials (local and
S3), errors, and what a user without privileges sees. Reads a Lakebox Delta table through the
location and credentials Unity Catalog vends, with delta-rs.

Usage: uc_client.py <http://127.0.0.1:port> <admin token> <bob token> <a Lakebox table full name>
Prints one JSON object with what each step returned; the test asserts on it.
"""

import asyncio
import json
import sys

from deltalake import DeltaTable
from unitycatalog.client import (
    ApiClient,
    ApiException,
    CatalogsApi,
    Configuration,
    FunctionsApi,
    GrantsApi,
    MetastoresApi,
    ModelVersionsApi,
    RegisteredModelsApi,
    SchemasApi,
    TablesApi,
    TemporaryCredentialsApi,
    VolumesApi,
)
from unitycatalog.client.models import (
    ColumnInfo,
    CreateCatalog,
    CreateFunction,
    CreateFunctionRequest,
    CreateModelVersion,
    CreateRegisteredModel,
    CreateSchema,
    CreateStagingTable,
    CreateTable,
    CreateVolumeRequestContent,
    FinalizeModelVersion,
    FunctionParameterInfo,
    FunctionParameterInfos,
    GenerateTemporaryModelVersionCredential,
    GenerateTemporaryTableCredential,
    GenerateTemporaryVolumeCredential,
    PermissionsChange,
    UpdateCatalog,
    UpdatePermissions,
    UpdateRegisteredModel,
    UpdateSchema,
)

base, admin_token, bob_token, lakebox_table = sys.argv[1:5]
out: dict = {}


def client(token: str) -> ApiClient:
    return ApiClient(
        Configuration(host=f"{base}/api/2.1/unity-catalog"),
        header_name="Authorization",
        header_value=f"Bearer {token}",
    )


async def error_of(coro) -> dict | None:
    try:
        await coro
    except ApiException as e:
        body = json.loads(e.body) if e.body else {}
        return {"status": e.status, "error_code": body.get("error_code")}
    return None


async def main() -> None:
    async with client(admin_token) as api, client(bob_token) as bob_api:
        catalogs, schemas, tables = CatalogsApi(api), SchemasApi(api), TablesApi(api)
        volumes, functions = VolumesApi(api), FunctionsApi(api)
        models, versions = RegisteredModelsApi(api), ModelVersionsApi(api)
        grants, creds = GrantsApi(api), TemporaryCredentialsApi(api)

        out["summary"] = (await MetastoresApi(api).summary()).metastore_id

        # ---- catalogs, with paging
        c = await catalogs.create_catalog(CreateCatalog(name="uc_py", comment="from python", properties={"k": "v"}))
        out["catalog"] = [c.name, c.comment, c.properties, c.owner]
        c = await catalogs.update_catalog("uc_py", UpdateCatalog(comment="changed"))
        out["catalog_updated"] = c.comment
        out["catalog_names"] = sorted(x.name for x in (await catalogs.list_catalogs()).catalogs)
        page1 = await catalogs.list_catalogs(max_results=1)
        page2 = await catalogs.list_catalogs(max_results=1, page_token=page1.next_page_token)
        out["catalog_pages"] = [[x.name for x in page1.catalogs], [x.name for x in page2.catalogs]]

        # ---- schemas
        s = await schemas.create_schema(CreateSchema(name="sales", catalog_name="uc_py", comment="s"))
        out["schema"] = [s.full_name, s.catalog_name, s.comment]
        s = await schemas.update_schema("uc_py.sales", UpdateSchema(comment="sales team"))
        out["schema_updated"] = s.comment
        out["schema_names"] = sorted(x.name for x in (await schemas.list_schemas("uc_py")).schemas)

        # ---- tables: an existing Lakebox Delta table, read through the vended location
        t = await tables.get_table(lakebox_table)
        out["lakebox_table"] = {
            "type": t.table_type.value,
            "format": t.data_source_format.value,
            "columns": [[col.name, col.type_name.value, col.type_text, col.position] for col in t.columns],
        }
        cred = await creds.generate_temporary_table_credentials(
            GenerateTemporaryTableCredential(table_id=t.table_id, operation="READ")
        )
        out["table_credential"] = {
            "location": t.storage_location,
            "aws": cred.aws_temp_credentials is not None,
            "expires": cred.expiration_time > 0,
        }
        out["read_through_uc"] = DeltaTable(t.storage_location).to_pyarrow_table().num_rows

        # an external table registered with columns, and a managed one through a staging table
        ext = await tables.create_table(
            CreateTable(
                name="events",
                catalog_name="uc_py",
                schema_name="sales",
                table_type="EXTERNAL",
                data_source_format="DELTA",
                storage_location="s3://lakebox-bucket/events",
                columns=[
                    ColumnInfo(name="id", type_name="LONG", type_text="bigint", type_json='{"name":"id","type":"long","nullable":false,"metadata":{}}', position=0, nullable=False),
                    ColumnInfo(name="tags", type_name="ARRAY", type_text="array<string>", position=1, nullable=True),
                ],
                comment="clicks",
            )
        )
        out["external"] = [ext.full_name if hasattr(ext, "full_name") else None, ext.table_type.value, ext.storage_location, [col.type_name.value for col in ext.columns]]
        s3 = await creds.generate_temporary_table_credentials(
            GenerateTemporaryTableCredential(table_id=ext.table_id, operation="READ_WRITE")
        )
        out["s3_credential"] = [s3.aws_temp_credentials.access_key_id, s3.aws_temp_credentials.secret_access_key, s3.expiration_time > 0]
        staging = await tables.create_staging_table(CreateStagingTable(catalog_name="uc_py", schema_name="sales", name="managed_t"))
        # the client writes the first Delta commit at the staging location before registering it
        staged_cred = await creds.generate_temporary_table_credentials(
            GenerateTemporaryTableCredential(table_id=staging.id, operation="READ_WRITE")
        )
        managed = await tables.create_table(
            CreateTable(
                name="managed_t",
                catalog_name="uc_py",
                schema_name="sales",
                table_type="MANAGED",
                data_source_format="DELTA",
                storage_location=staging.staging_location,
                columns=[ColumnInfo(name="x", type_name="INT", type_text="int", position=0, nullable=True)],
            )
        )
        out["managed"] = [managed.table_type.value, managed.storage_location == staging.staging_location]
        out["staging_credential"] = [staged_cred.expiration_time > 0, managed.properties.get("io.unitycatalog.tableId") == staging.id]
        p1 = await tables.list_tables("uc_py", "sales", max_results=1)
        p2 = await tables.list_tables("uc_py", "sales", max_results=1, page_token=p1.next_page_token)
        out["table_pages"] = [[x.name for x in p1.tables], [x.name for x in p2.tables], p2.next_page_token]
        out["missing_table"] = await error_of(tables.get_table("uc_py.sales.nope"))
        out["bad_page_size"] = await error_of(catalogs.list_catalogs(max_results=-1))

        # ---- permissions on the table, onto Lakebox grants
        bob_tables = TablesApi(bob_api)
        out["bob_no_grants"] = await error_of(bob_tables.get_table("uc_py.sales.events"))
        await grants.update(
            "table",
            "uc_py.sales.events",
            UpdatePermissions(changes=[PermissionsChange(principal="bob", add=["SELECT"], remove=[])]),
        )
        got = await grants.get("table", "uc_py.sales.events")
        out["grants"] = [[a.principal, [p.value for p in a.privileges]] for a in got.privilege_assignments]
        out["bob_list_without_use"] = await error_of(bob_tables.list_tables("uc_py", "sales"))
        await grants.update(
            "catalog",
            "uc_py",
            UpdatePermissions(changes=[PermissionsChange(principal="bob", add=["USE CATALOG", "USE SCHEMA"], remove=[])]),
        )
        out["bob_table"] = (await bob_tables.get_table("uc_py.sales.events")).name
        out["bob_tables"] = [x.name for x in (await bob_tables.list_tables("uc_py", "sales")).tables]
        out["bob_catalogs"] = sorted(x.name for x in (await CatalogsApi(bob_api).list_catalogs()).catalogs)
        out["bob_denied_delete"] = await error_of(bob_tables.delete_table("uc_py.sales.events"))
        await grants.update(
            "table",
            "uc_py.sales.events",
            UpdatePermissions(changes=[PermissionsChange(principal="bob", add=[], remove=["SELECT"])]),
        )
        out["grants_after_revoke"] = [a.principal for a in (await grants.get("table", "uc_py.sales.events")).privilege_assignments]
        out["bob_after_revoke"] = await error_of(bob_tables.get_table("uc_py.sales.events"))

        # ---- volumes
        v = await volumes.create_volume(
            CreateVolumeRequestContent(catalog_name="uc_py", schema_name="sales", name="landing", volume_type="MANAGED")
        )
        out["volume"] = [v.full_name, v.volume_type.value]
        vc = await creds.generate_temporary_volume_credentials(
            GenerateTemporaryVolumeCredential(volume_id=v.volume_id, operation="WRITE_VOLUME")
        )
        out["volume_credential"] = vc.expiration_time > 0
        out["volumes"] = [x.name for x in (await volumes.list_volumes("uc_py", "sales")).volumes]
        await volumes.delete_volume("uc_py.sales.landing")

        # ---- functions
        f = await functions.create_function(
            CreateFunctionRequest(
                function_info=CreateFunction(
                    name="with_tax",
                    catalog_name="uc_py",
                    schema_name="sales",
                    input_params=FunctionParameterInfos(
                        parameters=[FunctionParameterInfo(
                            name="x",
                            type_name="DOUBLE",
                            type_text="double",
                            type_json='{"name":"x","type":"double","nullable":true,"metadata":{}}',
                            position=0,
                        )]
                    ),
                    data_type="DOUBLE",
                    full_data_type="double",
                    routine_body="SQL",
                    routine_definition="x * 1.2",
                    parameter_style="S",
                    is_deterministic=True,
                    sql_data_access="CONTAINS_SQL",
                    is_null_call=False,
                    security_type="DEFINER",
                    specific_name="with_tax",
                )
            )
        )
        out["function"] = [f.full_name, f.routine_definition, f.data_type.value]
        out["functions"] = [x.name for x in (await functions.list_functions("uc_py", "sales")).functions]
        await functions.delete_function("uc_py.sales.with_tax")

        # ---- registered models and versions
        m = await models.create_registered_model(
            CreateRegisteredModel(name="churn", catalog_name="uc_py", schema_name="sales", comment="v0")
        )
        out["model"] = [m.full_name, m.comment, m.owner]
        mv = await versions.create_model_version(
            CreateModelVersion(model_name="churn", catalog_name="uc_py", schema_name="sales", source="runs:/abc/model", run_id="abc")
        )
        out["version_created"] = [mv.version, mv.status.value]
        mc = await creds.generate_temporary_model_version_credentials(
            GenerateTemporaryModelVersionCredential(
                catalog_name="uc_py", schema_name="sales", model_name="churn", version=mv.version, operation="READ_WRITE_MODEL_VERSION"
            )
        )
        out["model_credential"] = mc.expiration_time > 0
        mv = await versions.finalize_model_version("uc_py.sales.churn", 1, FinalizeModelVersion(full_name="uc_py.sales.churn", version=1))
        out["version_finalized"] = mv.status.value
        await versions.create_model_version(
            CreateModelVersion(model_name="churn", catalog_name="uc_py", schema_name="sales", source="runs:/def/model")
        )
        out["versions"] = [[x.version, x.status.value] for x in (await versions.list_model_versions("uc_py.sales.churn")).model_versions]
        m = await models.update_registered_model("uc_py.sales.churn", UpdateRegisteredModel(comment="v1"))
        out["model_updated"] = m.comment
        out["models"] = [x.full_name for x in (await models.list_registered_models(catalog_name="uc_py", schema_name="sales")).registered_models]
        out["delete_model_with_versions"] = await error_of(models.delete_registered_model("uc_py.sales.churn"))
        await models.delete_registered_model("uc_py.sales.churn", force=True)
        out["model_gone"] = await error_of(models.get_registered_model("uc_py.sales.churn"))

        # ---- clean up: tables, schema, catalog
        await tables.delete_table("uc_py.sales.events")
        await tables.delete_table("uc_py.sales.managed_t")
        await schemas.delete_schema("uc_py.sales")
        await catalogs.delete_catalog("uc_py", force=True)
        out["catalog_gone"] = await error_of(catalogs.get_catalog("uc_py"))


asyncio.run(main())
print(json.dumps(out))
