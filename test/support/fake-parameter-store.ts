// An in-memory Parameter Store that keeps each parameter's history, answering
// the two calls the policy store makes (GetParametersByPath, GetParameterHistory)
// the way Parameter Store and moto do: pages of MaxResults with a NextToken,
// history oldest first, at most 100 versions, versions restarting at 1 after
// a delete, ParameterNotFound for a name that is gone.
import {
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  type GetParameterHistoryCommandOutput,
  type GetParametersByPathCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';

interface Version {
  readonly version: number;
  readonly value: string;
  readonly type: string;
  readonly modified: Date;
}

/** Parameter Store keeps at most this many versions of a parameter. */
const VERSION_LIMIT = 100;

export class FakeParameterStore {
  private readonly parameters = new Map<string, Version[]>();
  /** Strictly increasing, so two versions never share a LastModifiedDate (as in Parameter Store, where writes take time). */
  private clock = Date.UTC(2026, 0, 1);
  readonly calls = { GetParametersByPath: 0, GetParameterHistory: 0 };

  put(name: string, value: string, type = 'String'): number {
    const history = this.parameters.get(name) ?? [];
    const version = (history[history.length - 1]?.version ?? 0) + 1;
    history.push({ version, value, type, modified: new Date((this.clock += 1000)) });
    if (history.length > VERSION_LIMIT) history.shift();
    this.parameters.set(name, history);
    return version;
  }

  delete(name: string): boolean {
    return this.parameters.delete(name);
  }

  names(): string[] {
    return [...this.parameters.keys()].sort();
  }

  /** The client the policy store is given: only `send`, as the store uses it. */
  client(): Pick<SSMClient, 'send'> {
    return { send: ((command: unknown) => this.send(command)) as SSMClient['send'] };
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetParametersByPathCommand) {
      this.calls.GetParametersByPath++;
      const { Path = '/', MaxResults = 10, NextToken } = command.input;
      const prefix = Path.endsWith('/') ? Path : `${Path}/`;
      const all = this.names().filter((n) => n.startsWith(prefix));
      const start = Number(NextToken ?? '0');
      const page = all.slice(start, start + MaxResults).map((Name) => {
        const current = this.parameters.get(Name)!.at(-1)!;
        return { Name, Type: current.type as 'String', Value: current.value, Version: current.version, LastModifiedDate: current.modified };
      });
      const out: GetParametersByPathCommandOutput = { Parameters: page, $metadata: {} };
      if (start + MaxResults < all.length) out.NextToken = String(start + MaxResults);
      return out;
    }
    if (command instanceof GetParameterHistoryCommand) {
      this.calls.GetParameterHistory++;
      const { Name = '', MaxResults = 50, NextToken } = command.input;
      const history = this.parameters.get(Name);
      if (!history) throw Object.assign(new Error(`Parameter ${Name} not found.`), { name: 'ParameterNotFound' });
      const start = Number(NextToken ?? '0');
      const out: GetParameterHistoryCommandOutput = {
        Parameters: history
          .slice(start, start + MaxResults)
          .map((v) => ({ Name, Type: v.type as 'String', Value: v.value, Version: v.version, LastModifiedDate: v.modified })),
        $metadata: {},
      };
      if (start + MaxResults < history.length) out.NextToken = String(start + MaxResults);
      return out;
    }
    throw new Error(`FakeParameterStore: ${(command as object)?.constructor?.name} is not implemented`);
  }
}
