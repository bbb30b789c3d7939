// What the gateway knows about a function by its name: the risks calling it carries, and whether
// its result derives only from its arguments (so lineage can trace through it). Any function not
// listed here — user-defined ones above all — may read tables the statement does not name, so its
// result is opaque.

import type { FuncCall } from 'libpg-query';
import type { RiskFlag } from './analysis.js';
import { strings } from './pg-ast.js';

export interface FunctionName {
  schema?: string;
  name: string;
  /** As reported in StatementInfo.functions: as the server reads it, `schema.name` when written so. */
  display: string;
}

export function functionName(call: FuncCall): FunctionName {
  // The parser already folded unquoted names; a quoted "Count" is another function than count.
  const parts = strings(call.funcname);
  const name = parts[parts.length - 1] ?? '';
  // EXTRACT(...), TRIM(...), SUBSTRING(... FROM ...): the parser spells these pg_catalog.x.
  const schema = call.funcformat === 'COERCE_SQL_SYNTAX' ? undefined : parts[parts.length - 2];
  return schema === undefined ? { name, display: name } : { schema, name, display: `${schema}.${name}` };
}

const words = (text: string): Set<string> => new Set(text.split(/\s+/).filter((word) => word !== ''));

const FILE_ACCESS = words(`
  pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_ls_logdir pg_ls_waldir pg_ls_tmpdir
  pg_ls_archive_statusdir pg_ls_logicalsnapdir pg_ls_logicalmapdir pg_ls_replslotdir pg_ls_summariesdir
  lo_import lo_export pg_file_write pg_file_read pg_file_rename pg_file_unlink pg_file_sync
  pg_file_length pg_logdir_ls`);

const NETWORK_ACCESS = words(`http http_get http_post http_put http_patch http_delete http_head`);
const NETWORK_PREFIXES = ['dblink', 'postgres_fdw'];

// Functions that run SQL, or read a table, named in a string the gateway never sees parsed.
const DYNAMIC_SQL = words(`
  query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
  table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml schema_to_xmlschema
  schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema database_to_xml_and_xmlschema
  ts_stat ts_rewrite dblink dblink_exec dblink_open dblink_send_query`);

// Built-in functions whose result derives from their arguments only (or from nothing a
// statement could aim at PHI: the clock, settings, the catalogs psql and drivers query).
const TRACEABLE = words(`
  count sum avg min max stddev stddev_pop stddev_samp variance var_pop var_samp bool_and bool_or
  every bit_and bit_or bit_xor array_agg string_agg json_agg jsonb_agg json_agg_strict
  jsonb_agg_strict json_object_agg jsonb_object_agg json_object_agg_strict jsonb_object_agg_strict
  json_object_agg_unique jsonb_object_agg_unique xmlagg percentile_cont percentile_disc mode corr
  covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
  regr_sxy regr_syy any_value range_agg range_intersect_agg
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  abs ceil ceiling floor round trunc sqrt cbrt power pow exp ln log log10 mod sign div pi degrees
  radians sin cos tan asin acos atan atan2 sinh cosh tanh random random_normal setseed width_bucket
  gcd lcm factorial scale min_scale trim_scale numeric int2 int4 int8 float4 float8 text varchar
  bpchar bool date time timetz timestamp timestamptz interval uuid inet cidr json jsonb name char
  lower upper initcap length char_length character_length octet_length bit_length substr substring
  position strpos left right lpad rpad ltrim rtrim btrim trim replace translate repeat reverse
  split_part concat concat_ws format md5 sha224 sha256 sha384 sha512 encode decode to_hex ascii chr
  quote_ident quote_literal quote_nullable regexp_replace regexp_match regexp_matches
  regexp_split_to_array regexp_split_to_table regexp_count regexp_instr regexp_like regexp_substr
  starts_with string_to_array array_to_string string_to_table overlay normalize unistr casefold
  like_escape similar_to_escape crc32 crc32c
  now clock_timestamp statement_timestamp transaction_timestamp timeofday date_trunc date_part
  extract date_bin age make_date make_time make_timestamp make_timestamptz make_interval to_char
  to_date to_timestamp to_number justify_days justify_hours justify_interval isfinite timezone
  overlaps
  array_length array_lower array_upper array_dims array_ndims array_position array_positions
  array_append array_prepend array_cat array_remove array_replace cardinality unnest generate_series
  generate_subscripts array_fill trim_array array_reverse array_sort
  json_build_object jsonb_build_object json_build_array jsonb_build_array json_object jsonb_object
  to_json to_jsonb row_to_json array_to_json json_array_length jsonb_array_length json_extract_path
  json_extract_path_text jsonb_extract_path jsonb_extract_path_text json_array_elements
  json_array_elements_text jsonb_array_elements jsonb_array_elements_text json_each json_each_text
  jsonb_each jsonb_each_text json_object_keys jsonb_object_keys json_typeof jsonb_typeof jsonb_set
  jsonb_set_lax jsonb_insert jsonb_pretty jsonb_strip_nulls json_strip_nulls jsonb_path_query
  jsonb_path_query_first jsonb_path_query_array jsonb_path_exists jsonb_path_match
  json_populate_record jsonb_populate_record json_to_record jsonb_to_record json_to_recordset
  jsonb_to_recordset json_populate_recordset jsonb_populate_recordset to_tsvector to_tsquery
  plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd ts_headline setweight
  xmlcomment xpath xpath_exists xml_is_well_formed num_nulls num_nonnulls nullif coalesce greatest
  least gen_random_uuid uuidv4 uuidv7 set_config current_setting pg_typeof format_type
  current_database current_schema current_schemas current_user session_user version
  pg_backend_pid pg_get_userbyid pg_table_is_visible pg_type_is_visible pg_function_is_visible
  pg_collation_is_visible pg_opclass_is_visible pg_conversion_is_visible pg_operator_is_visible
  pg_statistics_obj_is_visible pg_ts_config_is_visible pg_get_expr pg_get_constraintdef
  pg_get_indexdef pg_get_viewdef pg_get_triggerdef pg_get_functiondef pg_get_function_arguments
  pg_get_function_result pg_get_function_identity_arguments pg_get_ruledef pg_get_statisticsobjdef
  pg_get_statisticsobjdef_columns pg_get_partkeydef pg_get_partition_constraintdef
  pg_get_serial_sequence obj_description col_description shobj_description pg_encoding_to_char
  pg_char_to_encoding has_table_privilege has_schema_privilege has_database_privilege
  has_column_privilege has_any_column_privilege has_function_privilege has_sequence_privilege
  has_type_privilege pg_has_role pg_relation_size pg_total_relation_size pg_table_size
  pg_indexes_size pg_database_size pg_size_pretty pg_relation_is_publishable pg_is_in_recovery
  pg_postmaster_start_time pg_conf_load_time txid_current pg_current_xact_id pg_get_keywords
  to_regclass to_regtype to_regproc to_regprocedure to_regnamespace to_regrole pg_options_to_table
  pg_partition_root pg_partition_ancestors pg_tablespace_location pg_column_size
  pg_column_compression pg_describe_object pg_identify_object array_to_json inet_server_addr
  inet_server_port pg_jit_available pg_is_other_temp_schema pg_my_temp_schema`);

export interface FunctionFacts {
  flags: RiskFlag[];
  /** The result derives from the arguments only: lineage goes through it. */
  traceable: boolean;
}

export function functionFacts(fn: FunctionName): FunctionFacts {
  // Risks go by the bare name whatever the schema: a same-named function elsewhere is no safer.
  const flags: RiskFlag[] = [];
  if (FILE_ACCESS.has(fn.name)) flags.push('server-file-access');
  if (NETWORK_ACCESS.has(fn.name) || NETWORK_PREFIXES.some((prefix) => fn.name.startsWith(prefix))) {
    flags.push('network-access');
  }
  if (DYNAMIC_SQL.has(fn.name)) flags.push('dynamic-sql');
  // Unqualified names find pg_catalog first; a qualified name elsewhere may be anything.
  const builtin = fn.schema === undefined || fn.schema === 'pg_catalog';
  return { flags, traceable: builtin && TRACEABLE.has(fn.name) && flags.length === 0 };
}

/** Built-in aggregates: a query whose every output is one of them (no GROUP BY) returns one row. */
export const AGGREGATES = words(`
  count sum avg min max stddev stddev_pop stddev_samp variance var_pop var_samp bool_and bool_or
  every bit_and bit_or bit_xor array_agg string_agg json_agg jsonb_agg json_agg_strict
  jsonb_agg_strict json_object_agg jsonb_object_agg xmlagg percentile_cont percentile_disc mode corr
  covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
  regr_sxy regr_syy any_value range_agg range_intersect_agg`);

/** Set-returning functions that return one column, named after the function. */
export const SINGLE_COLUMN_SETS = words(`
  generate_series generate_subscripts unnest regexp_split_to_table string_to_table
  json_array_elements json_array_elements_text jsonb_array_elements jsonb_array_elements_text
  json_object_keys jsonb_object_keys jsonb_path_query regexp_matches`);
