// MySQL / MariaDB built-in functions whose result is computed from their arguments alone, so a
// column's lineage can be traced through them. Any other function (a stored function, a UDF,
// one that reads a file) makes the column opaque. And the functions that carry risk flags.

import type { RiskFlag } from './analysis.js';

const TRACED = new Set(
  `abs acos adddate addtime aes_decrypt aes_encrypt ascii asin atan atan2 avg benchmark bin bit_and
  bit_count bit_length bit_or bit_xor cast ceil ceiling char char_length character_length coalesce
  compress concat concat_ws conv convert convert_tz cos cot count crc32 cume_dist curdate
  current_date current_time current_timestamp current_user curtime database date date_add
  date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear decode degrees
  dense_rank elt encode exists exp export_set extract field find_in_set first_value floor format
  from_base64 from_days from_unixtime greatest group_concat hex hour if ifnull inet6_aton
  inet6_ntoa inet_aton inet_ntoa insert instr interval isnull json_array json_array_append
  json_array_insert json_arrayagg json_contains json_contains_path json_depth json_extract
  json_insert json_keys json_length json_merge json_merge_patch json_merge_preserve json_object
  json_objectagg json_overlaps json_pretty json_quote json_remove json_replace json_search
  json_set json_type json_unquote json_valid json_value lag last_day last_value lcase lead least
  left length ln localtime localtimestamp locate log log10 log2 lower lpad ltrim make_set
  makedate maketime max md5 microsecond mid min minute mod month monthname now nth_value ntile
  nullif oct octet_length ord percent_rank period_add period_diff pi position pow power quarter
  quote radians rand rank regexp_instr regexp_like regexp_replace regexp_substr repeat replace
  reverse right round row_number rpad rtrim schema sec_to_time second sha sha1 sha2 sign sin sleep
  soundex space sqrt std stddev stddev_pop stddev_samp str_to_date strcmp subdate substr substring
  substring_index subtime sum sysdate tan time time_format time_to_sec timediff timestamp
  timestampadd timestampdiff to_base64 to_days to_seconds trim truncate ucase uncompress
  uncompressed_length unhex unix_timestamp upper user utc_date utc_time utc_timestamp uuid
  uuid_short var_pop var_samp variance version week weekday weekofyear year yearweek
  connection_id last_insert_id row_count found_rows session_user system_user charset collation
  coercibility nvl nvl2 decode_histogram`.split(/\s+/),
);

/** Whether lineage is traced through the function (it computes from its arguments only). */
export function isTraced(name: string): boolean {
  return TRACED.has(name);
}

const FLAGGED = new Map<string, RiskFlag>([['load_file', 'server-file-access']]);

export function flagOf(name: string): RiskFlag | undefined {
  return FLAGGED.get(name);
}
