// Where PostgreSQL finds an unqualified table name. pg_catalog is searched before the session's
// search_path unless the path lists it explicitly, so the system catalogs resolve there whatever
// the path says; other names go to the first schema of the path.

import type { TableRef } from './analysis.js';

/** A table as the statement names it: `schema` only when written out. */
export interface NamedTable {
  schema?: string;
  name: string;
}

// Relations of pg_catalog that statements name unqualified (catalog tables and system views).
const CATALOG_RELATIONS = new Set(
  `pg_aggregate pg_am pg_amop pg_amproc pg_attrdef pg_attribute pg_auth_members pg_authid pg_cast
  pg_class pg_collation pg_constraint pg_conversion pg_database pg_db_role_setting pg_default_acl
  pg_depend pg_description pg_enum pg_event_trigger pg_extension pg_foreign_data_wrapper
  pg_foreign_server pg_foreign_table pg_index pg_inherits pg_init_privs pg_language pg_largeobject
  pg_largeobject_metadata pg_namespace pg_opclass pg_operator pg_opfamily pg_parameter_acl
  pg_partitioned_table pg_policy pg_proc pg_publication pg_publication_namespace pg_publication_rel
  pg_range pg_replication_origin pg_rewrite pg_seclabel pg_sequence pg_shdepend pg_shdescription
  pg_shseclabel pg_statistic pg_statistic_ext pg_statistic_ext_data pg_subscription
  pg_subscription_rel pg_tablespace pg_transform pg_trigger pg_ts_config pg_ts_config_map pg_ts_dict
  pg_ts_parser pg_ts_template pg_type pg_user_mapping pg_available_extensions
  pg_available_extension_versions pg_backend_memory_contexts pg_config pg_cursors pg_file_settings
  pg_group pg_hba_file_rules pg_ident_file_mappings pg_indexes pg_locks pg_matviews pg_policies
  pg_prepared_statements pg_prepared_xacts pg_publication_tables pg_replication_origin_status
  pg_replication_slots pg_roles pg_rules pg_seclabels pg_sequences pg_settings pg_shadow
  pg_shmem_allocations pg_stats pg_stats_ext pg_stats_ext_exprs pg_tables pg_timezone_abbrevs
  pg_timezone_names pg_user pg_user_mappings pg_views pg_wait_events pg_aios`.split(/\s+/),
);

export function isCatalogRelation(name: string): boolean {
  return CATALOG_RELATIONS.has(name) || name.startsWith('pg_stat_') || name.startsWith('pg_statio_');
}

/** Schema an unqualified name resolves to, or undefined when nothing says. */
export function defaultSchema(name: string, searchPath: readonly string[]): string | undefined {
  if (isCatalogRelation(name)) return 'pg_catalog';
  // `$user` names the session user's own schema, which the gateway cannot see here.
  for (const schema of searchPath) if (schema !== '$user' && schema !== '"$user"' && schema !== '') return schema;
  return undefined;
}

export function resolveTable(table: NamedTable, searchPath: readonly string[]): TableRef {
  if (table.schema !== undefined) return { schema: table.schema, name: table.name };
  const schema = defaultSchema(table.name, searchPath);
  return schema === undefined ? { name: table.name } : { schema, name: table.name };
}

export function tableKey(table: { schema?: string; name: string }): string {
  return `${table.schema ?? ''}\0${table.name}`;
}
