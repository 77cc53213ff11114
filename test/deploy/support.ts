/**
 * Helpers shared by the deployment tests: the SAM translator (python, installed with
 * cfn-lint) turns template.yaml into the CloudFormation template `sam deploy` submits,
 * and a small evaluator resolves conditions and intrinsics for given parameter values.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const TEMPLATE = join(ROOT, 'template.yaml');
const PYTHON = process.env.PYTHON ?? 'python3';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Template {
  Parameters: Record<
    string,
    {
      Type: string;
      Default?: string | number;
      AllowedValues?: (string | number)[];
      AllowedPattern?: string;
      MinValue?: number;
      MaxValue?: number;
      MaxLength?: number;
      Description?: string;
    }
  >;
  Conditions: Record<string, Json>;
  Rules?: Record<string, { RuleCondition?: Json; Assertions: { Assert: Json; AssertDescription?: string }[] }>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json; Condition?: string; Description?: string }>;
}

export interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Metadata?: JsonObject;
  Properties: JsonObject;
}

/** True when the machine can run the SAM translator. */
export function hasSamTranslator(): boolean {
  return spawnSync(PYTHON, ['-c', 'import samtranslator'], { stdio: 'ignore' }).status === 0;
}

/**
 * Tests needing python tools skip only on a developer machine without them; in CI
 * (where .ci/run installs cfn-lint and moto) a missing tool is a failure.
 */
export function mustRunPythonTests(): boolean {
  return hasSamTranslator() || inCI();
}

/** The same test as scripts/test.mjs. */
export function inCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

function runHelper(arg: string): unknown {
  const out = spawnSync(PYTHON, [join(__dirname, 'sam_transform.py'), TEMPLATE, arg], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`sam_transform.py failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** template.yaml as written (short-form intrinsics expanded). */
export function rawTemplate(): Template {
  return runHelper('--raw') as Template;
}

/** template.yaml after the SAM transform, as CloudFormation receives it. */
export function transformTemplate(params: Record<string, string>): Template {
  return runHelper(JSON.stringify(params)) as Template;
}

// ------------------------------------------------------------------ evaluator

export interface Scope {
  params: Record<string, string>;
  conditions: Record<string, boolean>;
  mappings: Template['Mappings'];
}

export const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::StackName': 'cors-stack',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Parameter values as CloudFormation would see them: the given ones over the template's defaults. */
export function withDefaults(t: Template, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, p] of Object.entries(t.Parameters)) {
    if (given[name] !== undefined) out[name] = given[name]!;
    else if (p.Default !== undefined) out[name] = String(p.Default);
  }
  for (const name of Object.keys(given)) if (!(name in t.Parameters)) throw new Error(`unknown parameter ${name}`);
  return out;
}

function single(obj: Json): [string, Json] | undefined {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const keys = Object.keys(obj);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'))) return [keys[0]!, obj[keys[0]!]!];
  }
  return undefined;
}

function refValue(name: string, scope: Scope): string {
  if (name in PSEUDO) return PSEUDO[name]!;
  if (name in scope.params) return scope.params[name]!;
  return `<${name}>`; // a resource: stands for its physical id
}

/** Fn::Equals/Not/And/Or/Condition/Ref (also what Rules use), over parameter values. */
export function evalCondition(expr: Json, scope: Scope): boolean {
  const fn = single(expr);
  if (!fn) throw new Error(`not a condition: ${JSON.stringify(expr)}`);
  const [name, arg] = fn;
  const args = arg as Json[];
  switch (name) {
    case 'Fn::Equals':
      return String(resolveValue(args[0]!, scope)) === String(resolveValue(args[1]!, scope));
    case 'Fn::Not':
      return !evalCondition(args[0]!, scope);
    case 'Fn::And':
      return args.every((a) => evalCondition(a, scope));
    case 'Fn::Or':
      return args.some((a) => evalCondition(a, scope));
    case 'Condition': {
      const v = scope.conditions[arg as string];
      if (v === undefined) throw new Error(`condition ${String(arg)} used before it was evaluated`);
      return v;
    }
    default:
      throw new Error(`unsupported condition function ${name}`);
  }
}

export function evalConditions(t: Template, params: Record<string, string>): Record<string, boolean> {
  const scope: Scope = { params, conditions: {}, mappings: t.Mappings };
  const pending = Object.entries(t.Conditions);
  // Conditions may reference each other: evaluate until all are known.
  for (let round = 0; pending.length > 0 && round < 10; round++) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const [name, expr] = pending[i]!;
      try {
        scope.conditions[name] = evalCondition(expr, scope);
        pending.splice(i, 1);
      } catch (err) {
        if (!String(err).includes('used before')) throw err;
      }
    }
  }
  if (pending.length) throw new Error(`unresolvable conditions: ${pending.map(([n]) => n).join(', ')}`);
  return scope.conditions;
}

export const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves Ref, Fn::If, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::FindInMap; resources become "<Name>" / "<Name.Attr>". */
export function resolveValue(value: Json, scope: Scope): Json {
  const fn = single(value);
  if (fn) {
    const [name, arg] = fn;
    switch (name) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? (NO_VALUE as unknown as Json) : refValue(arg as string, scope);
      case 'Fn::If': {
        const [cond, a, b] = arg as [string, Json, Json];
        const chosen = scope.conditions[cond];
        if (chosen === undefined) throw new Error(`unknown condition ${cond}`);
        return resolveValue(chosen ? a : b, scope);
      }
      case 'Fn::GetAtt': {
        const parts = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return `<${parts.join('.')}>`;
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, JsonObject];
        return text.replace(/\$\{([^}!]+)\}/g, (_m, key: string) => {
          if (vars[key] !== undefined) return String(resolveValue(vars[key]!, scope));
          return key.includes('.') ? `<${key}>` : refValue(key, scope);
        });
      }
      case 'Fn::Join': {
        const [sep, list] = arg as [string, Json[]];
        return list
          .map((v) => resolveValue(v, scope))
          .filter((v) => v !== (NO_VALUE as unknown))
          .map(String)
          .join(sep);
      }
      case 'Fn::FindInMap': {
        const [m, k1, k2] = (arg as Json[]).map((v) => String(resolveValue(v, scope)));
        return scope.mappings?.[m!]?.[k1!]?.[k2!] ?? null;
      }
      case 'Condition':
        return scope.conditions[arg as string] ?? null;
      default:
        if (name.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${name}`);
    }
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope)).filter((v) => v !== (NO_VALUE as unknown));
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const r = resolveValue(v, scope);
      if (r !== (NO_VALUE as unknown)) out[k] = r;
    }
    return out;
  }
  return value;
}

/** The stack CloudFormation would create for `given` parameter values: only resources whose condition holds, properties resolved. */
export function materialize(t: Template, given: Record<string, string>) {
  const params = withDefaults(t, given);
  const conditions = evalConditions(t, params);
  const scope: Scope = { params, conditions, mappings: t.Mappings };
  const resources: Record<string, Resource & { Properties: JsonObject }> = {};
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Condition && !conditions[r.Condition]) continue;
    resources[id] = { ...r, Properties: resolveValue(r.Properties ?? {}, scope) as JsonObject };
  }
  return { params, conditions, scope, resources };
}

/** Failed rule assertions for the given parameter values (what CloudFormation would refuse). */
export function failedRules(t: Template, given: Record<string, string>): string[] {
  const params = withDefaults(t, given);
  const scope: Scope = { params, conditions: {}, mappings: t.Mappings };
  const failed: string[] = [];
  for (const [name, rule] of Object.entries(t.Rules ?? {})) {
    if (rule.RuleCondition && !evalCondition(rule.RuleCondition, scope)) continue;
    for (const a of rule.Assertions) if (!evalCondition(a.Assert, scope)) failed.push(`${name}: ${a.AssertDescription ?? ''}`);
  }
  return failed;
}

/** IAM ArnLike matching: `*` any run of characters, `?` one character, per ARN. */
export function arnLike(pattern: string, arn: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(arn);
}

/** Parameter constraints as CloudFormation applies them (AllowedPattern must match the whole value). */
export function parameterProblem(t: Template, name: string, value: string): string | undefined {
  const p = t.Parameters[name];
  if (!p) return `unknown parameter ${name}`;
  if (p.AllowedValues && !p.AllowedValues.map(String).includes(value)) return 'not an allowed value';
  if (p.AllowedPattern && !new RegExp(`^(?:${p.AllowedPattern})$`).test(value)) return 'does not match AllowedPattern';
  if (p.MaxLength !== undefined && value.length > p.MaxLength) return 'too long';
  if (p.Type === 'Number') {
    const n = Number(value);
    if (!Number.isFinite(n)) return 'not a number';
    if (p.MinValue !== undefined && n < p.MinValue) return 'below MinValue';
    if (p.MaxValue !== undefined && n > p.MaxValue) return 'above MaxValue';
  }
  return undefined;
}

// ------------------------------------------------------------- route revision

/**
 * Resource types a stage deployment publishes: a change to any of them is live only
 * after the stage is deployed again, which the StageDeployment custom resources do
 * when their Triggers change (Mappings.Build.Revision.Routes is one of them).
 */
export const ROUTE_RESOURCE_TYPES: readonly string[] = [
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
];

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k]!)]),
    );
  }
  return value;
}

/** A short hash of the route resources as written (type, condition, properties): layout and comments do not count. */
export function routesHash(t: Template): string {
  const routes = Object.entries(t.Resources)
    .filter(([, r]) => ROUTE_RESOURCE_TYPES.includes(r.Type))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, r]) => [id, canonical({ Type: r.Type, Condition: r.Condition ?? null, Properties: r.Properties } as Json)]);
  return createHash('sha256').update(JSON.stringify(routes)).digest('hex').slice(0, 16);
}
