"""Runs inside Superset's venv with its app context (started by `shelfcast dashboards up`, never imported by
shelfcast): imports the rendered asset bundle in one transaction, refreshes the datasets' columns from the
warehouse, and sets up the admin, the view-only business role, one role and row-level-security rule per
region, and one demo manager per region. Idempotent: a rerun updates everything in place.

    python superset_setup.py PLAN.json     (the plan: bundle folder, regions, passwords; written 0600)

Prints one JSON line: what it created, for `shelfcast dashboards up` to report.
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml

VIEWER_ROLE = "Shelfcast Viewer"
# what a business user may do beyond reading: nothing that writes, no SQL Lab, no uploads
READ_ONLY_EXCLUDED = ("can_write", "can_add", "can_edit", "can_delete", "can_csv", "can_upload", "can_sqllab")
READ_ONLY_EXCLUDED_VIEWS = ("SQLLab", "SQL Lab", "Query", "SavedQuery", "Database", "ImportExportRestApi")


def fail(message: str) -> None:
    """One line `shelfcast dashboards up` reports as the error (Superset logs to stderr around it)."""
    print(json.dumps({"error": message}), flush=True)
    raise SystemExit(1)


def bundle_contents(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*.yaml"))}


def bundle_uuids(contents: dict[str, str]) -> set[str]:
    return {str(yaml.safe_load(text)["uuid"]) for name, text in contents.items() if name != "metadata.yaml"}


def import_bundle(contents: dict[str, str]) -> dict[str, int]:
    from superset.commands.exceptions import CommandInvalidError, ImportFailedError
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    try:
        ImportAssetsCommand(contents).run()  # one transaction: all of it or nothing
    except CommandInvalidError as error:
        messages = error.normalized_messages()
        fail(f"the dashboards bundle is invalid: {json.dumps(messages, default=str)}")
    except ImportFailedError as error:
        cause = error.__cause__ or error
        fail(f"importing the dashboards bundle failed: {type(cause).__name__}: {cause}")
    kinds = ("databases", "datasets", "charts", "dashboards")
    return {kind: sum(1 for name in contents if name.startswith(f"{kind}/")) for kind in kinds}


def remove_dropped(previous_file: Path, current: set[str]) -> int:
    """Charts, dashboards and datasets the previous import brought in and the bundle no longer has are
    deleted (those made in the UI are not: they were never in an import). The number deleted."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.daos.chart import ChartDAO
    from superset.daos.dashboard import DashboardDAO
    from superset.daos.dataset import DatasetDAO
    from superset.extensions import db
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    previous = set(json.loads(previous_file.read_text())) if previous_file.is_file() else set()
    gone = previous - current
    deleted = 0
    for model, dao in ((Dashboard, DashboardDAO), (Slice, ChartDAO), (SqlaTable, DatasetDAO)):
        items = db.session.query(model).filter(model.uuid.in_(gone)).all() if gone else []
        if items:
            dao.delete(items)
            deleted += len(items)
    return deleted


def refresh_columns(dataset_uuids: list[str]) -> None:
    """Columns and types as the warehouse has them (DuckDB and PostgreSQL name types differently); the
    bundle's metrics and main date column stay."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    for dataset in db.session.query(SqlaTable).filter(SqlaTable.uuid.in_(dataset_uuids)):
        try:
            dataset.fetch_metadata()
        except Exception as error:  # any driver error, reported with the mart's name
            fail(f"the mart {dataset.schema}.{dataset.table_name} cannot be read by Superset: {error}")


def ensure_user(username: str, first: str, last: str, roles: list[Any], password: str, reset: bool) -> bool:
    """Creates the user, or updates its roles (and its password when `reset`). True when created."""
    from superset import security_manager
    from superset.extensions import db

    user = security_manager.find_user(username=username)
    if user is None:
        security_manager.add_user(username, first, last, f"{username}@shelfcast.invalid", roles, password)
        return True
    user.roles = roles
    if reset:
        security_manager.reset_password(user.id, password)
    db.session.merge(user)
    return False


def viewer_role(dataset_ids: list[int]) -> Any:
    """Gamma's reading permissions and access to our datasets; nothing that writes."""
    from superset import security_manager
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    gamma = security_manager.find_role("Gamma")
    role = security_manager.find_role(VIEWER_ROLE) or security_manager.add_role(VIEWER_ROLE)
    permissions = [
        pv
        for pv in gamma.permissions
        if pv.permission.name not in READ_ONLY_EXCLUDED
        and not any(view in pv.view_menu.name for view in READ_ONLY_EXCLUDED_VIEWS)
    ]
    for dataset in db.session.query(SqlaTable).filter(SqlaTable.id.in_(dataset_ids)):
        permission = security_manager.add_permission_view_menu("datasource_access", dataset.get_perm())
        permissions.append(permission)
    role.permissions = permissions
    return role


def rls_scopes(datasets: list[Any], columns: list[str]) -> dict[str, list[int]]:
    """Dataset ids per scoping column: each dataset goes to the first of `columns` it has, so exactly one
    rule filters it; a dataset with none of them (model accuracy) is no region's and everyone's."""
    scoped: dict[str, list[int]] = {column: [] for column in columns}
    for dataset in datasets:
        names = {c.column_name for c in dataset.columns}
        first = next((column for column in columns if column in names), None)
        if first is not None:
            scoped[first].append(dataset.id)
    return scoped


def region_security(region: str, rules: dict[str, tuple[str, list[int]]]) -> Any:
    """The role of one region and its row-level-security rules: one per column a dataset is scoped by
    (region_code, else store_code), each on the datasets it scopes."""
    from superset import security_manager
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.extensions import db
    from superset.utils.core import RowLevelSecurityFilterType

    role = security_manager.find_role(f"Region {region}") or security_manager.add_role(f"Region {region}")
    for column, (clause, table_ids) in rules.items():
        name = f"region {region} by {column}"
        rule = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
        if rule is None:
            rule = RowLevelSecurityFilter(name=name)
            db.session.add(rule)
        rule.filter_type = RowLevelSecurityFilterType.REGULAR
        rule.group_key = "region"
        rule.clause = clause
        rule.description = f"rows of region {region} only, by {column}"
        rule.roles = [role]
        rule.tables = db.session.query(SqlaTable).filter(SqlaTable.id.in_(table_ids)).all()
    # the single rule of earlier releases (by store for every dataset) would AND with the new ones
    for legacy in db.session.query(RowLevelSecurityFilter).filter_by(name=f"region {region}"):
        db.session.delete(legacy)
    return role


def main(plan_file: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.connectors.sqla.models import SqlaTable
        from superset.extensions import db
        from superset.utils.core import override_user

        if plan.get("refresh_only"):
            from superset.extensions import cache_manager

            # the warehouse was rebuilt: columns as it has them now, and no chart answered from before
            refresh_columns(plan["dataset_uuids"])
            db.session.commit()
            cache_manager.data_cache.clear()
            print(json.dumps({"refreshed": len(plan["dataset_uuids"])}))
            return
        created = []
        admin_role = security_manager.find_role("Admin")
        passwords, reset = plan["passwords"], plan["reset_passwords"]
        if ensure_user("admin", "Shelfcast", "Admin", [admin_role], passwords["admin"], "admin" in reset):
            created.append("admin")
        db.session.commit()
        admin = security_manager.find_user(username="admin")
        with override_user(admin):
            contents = bundle_contents(Path(plan["bundle"]))
            counts = import_bundle(contents)
            imported, current = Path(plan["imported_uuids_file"]), bundle_uuids(contents)
            counts["removed"] = remove_dropped(imported, current)
        db.session.commit()
        imported.write_text(json.dumps(sorted(current)))
        refresh_columns(plan["dataset_uuids"])
        datasets = db.session.query(SqlaTable).filter(SqlaTable.uuid.in_(plan["dataset_uuids"])).all()
        scoped_by = rls_scopes(datasets, list(plan["rls_clauses"]))
        viewer = viewer_role([d.id for d in datasets])
        for region in plan["regions"]:
            literal = region.replace("'", "''")
            rules = {
                column: (clause.replace("__REGION__", literal), scoped_by[column])
                for column, clause in plan["rls_clauses"].items()
            }
            role = region_security(region, rules)
            username = f"{region.lower()}_manager"
            if ensure_user(
                username, region.title(), "Manager", [viewer, role], passwords["demo"], "demo" in reset
            ):
                created.append(username)
        db.session.commit()
        users = ["admin", *(f"{region.lower()}_manager" for region in plan["regions"])]
        print(
            json.dumps(
                {"imported": counts, "created_users": created, "users": users, "datasets": len(datasets)}
            )
        )


if __name__ == "__main__":
    main(sys.argv[1])
