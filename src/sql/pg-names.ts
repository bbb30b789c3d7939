// The name PostgreSQL gives an output column the query did not name (FigureColname in
// parse_target.c), so lineage lines up with what the client sees in RowDescription.

import type { Node } from 'libpg-query';
import { strings, tagOf, type NodeBody } from './pg-ast.js';

const UNNAMED = '?column?';

const FIXED_NAMES: Record<string, string> = {
  CaseExpr: 'case',
  A_ArrayExpr: 'array',
  RowExpr: 'row',
  CoalesceExpr: 'coalesce',
  GroupingFunc: 'grouping',
  MergeSupportFunc: 'merge_action',
  XmlSerialize: 'xmlserialize',
  JsonParseExpr: 'json',
  JsonScalarExpr: 'json_scalar',
  JsonSerializeExpr: 'json_serialize',
  JsonObjectConstructor: 'json_object',
  JsonArrayConstructor: 'json_array',
  JsonArrayQueryConstructor: 'json_array',
  JsonObjectAgg: 'json_objectagg',
  JsonArrayAgg: 'json_arrayagg',
};

const XML_NAMES: Record<string, string> = {
  IS_XMLCONCAT: 'xmlconcat',
  IS_XMLELEMENT: 'xmlelement',
  IS_XMLFOREST: 'xmlforest',
  IS_XMLPARSE: 'xmlparse',
  IS_XMLPI: 'xmlpi',
  IS_XMLROOT: 'xmlroot',
  IS_XMLSERIALIZE: 'xmlserialize',
};

const JSON_FUNC_NAMES: Record<string, string> = {
  JSON_EXISTS_OP: 'json_exists',
  JSON_QUERY_OP: 'json_query',
  JSON_VALUE_OP: 'json_value',
};

export function columnName(node: Node | undefined): string {
  return figure(node)?.name ?? UNNAMED;
}

/** strength 2: a name from a column or function; 1: a fallback a cast's type name beats. */
function figure(node: Node | undefined): { name: string; strength: number } | undefined {
  const tagged = tagOf(node);
  if (tagged === undefined) return undefined;
  const [tag, body] = tagged;
  const fixed = FIXED_NAMES[tag];
  if (fixed !== undefined) return { name: fixed, strength: tag === 'CaseExpr' ? 1 : 2 };
  switch (tag) {
    case 'ColumnRef': {
      const names = strings(body.fields as Node[]);
      const last = (body.fields as Node[]).at(-1);
      return last !== undefined && 'String' in last ? { name: names.at(-1)!, strength: 2 } : undefined;
    }
    case 'A_Indirection': {
      const last = (body.indirection as Node[] | undefined)?.at(-1);
      if (last !== undefined && 'String' in last) return { name: last.String.sval ?? '', strength: 2 };
      return figure(body.arg as Node);
    }
    case 'FuncCall':
      return { name: strings(body.funcname as Node[]).at(-1) ?? UNNAMED, strength: 2 };
    case 'A_Expr':
      return body.kind === 'AEXPR_NULLIF' ? { name: 'nullif', strength: 2 } : undefined;
    case 'TypeCast': {
      const inner = figure(body.arg as Node);
      if (inner !== undefined && inner.strength > 1) return inner;
      const typeNames = strings((body.typeName as NodeBody | undefined)?.names as Node[] | undefined);
      return typeNames.length > 0 ? { name: typeNames.at(-1)!, strength: 1 } : inner;
    }
    case 'CollateClause':
      return figure(body.arg as Node);
    case 'MinMaxExpr':
      return { name: body.op === 'IS_LEAST' ? 'least' : 'greatest', strength: 2 };
    case 'SQLValueFunction':
      return { name: sqlValueFunctionName(String(body.op)), strength: 2 };
    case 'XmlExpr': {
      const name = XML_NAMES[String(body.op)];
      return name === undefined ? undefined : { name, strength: 2 };
    }
    case 'JsonFuncExpr': {
      const name = JSON_FUNC_NAMES[String(body.op)];
      return name === undefined ? undefined : { name, strength: 2 };
    }
    case 'SubLink':
      return subLinkName(body);
    default:
      return undefined;
  }
}

function subLinkName(body: NodeBody): { name: string; strength: number } | undefined {
  switch (body.subLinkType) {
    case 'EXISTS_SUBLINK':
      return { name: 'exists', strength: 2 };
    case 'ARRAY_SUBLINK':
      return { name: 'array', strength: 2 };
    case 'EXPR_SUBLINK':
    case 'MULTIEXPR_SUBLINK': {
      const select = tagOf(body.subselect)?.[1];
      const first = tagOf((select?.targetList as Node[] | undefined)?.[0])?.[1];
      if (first === undefined) return undefined;
      if (typeof first.name === 'string') return { name: first.name, strength: 2 };
      return figure(first.val as Node);
    }
    default:
      return undefined;
  }
}

/** SVFOP_CURRENT_TIMESTAMP_N → current_timestamp. */
function sqlValueFunctionName(op: string): string {
  return op.replace(/^SVFOP_/, '').replace(/_N$/, '').toLowerCase();
}
