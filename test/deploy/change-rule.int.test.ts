/**
 * The compiler's Parameter Store change rule, against moto's EventBridge: the pattern is
 * read from template.yaml (SAM-transformed, conditions resolved for a policy path), put on
 * a rule whose target is an SQS queue (moto delivers rules to SQS, not to Lambda), and fed
 * events shaped like the ones Parameter Store emits. What reaches the queue is what would
 * trigger the compiler.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { globalMotoEndpoint } from '../support/moto-ssm';
import { materialize, mustRunPythonTests, transformTemplate } from './support';

const describePython = mustRunPythonTests() ? describe : describe.skip;
jest.setTimeout(120_000);

const POLICY_PATH = '/cors/shop-api';
const PARAMS = { ApiType: 'HTTP', ApiId: 'h1t2t3p4a5', StageName: '$default', PolicyPath: POLICY_PATH };

/** One Parameter Store change as EventBridge receives it (Systems Manager user guide: sysman-paramstore-cwe). */
interface Change {
  source?: string;
  detailType?: string;
  name: string;
  operation: 'Create' | 'Update' | 'Delete' | 'LabelParameterVersion';
}

describePython('the Parameter Store change rule of template.yaml (moto EventBridge -> SQS)', () => {
  const endpoint = globalMotoEndpoint();
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  // A bus and queue of this file's own, so no other test's events can reach them.
  const suffix = randomUUID().slice(0, 8);
  const busName = `cors-change-rule-${suffix}`;
  const ruleName = `cors-compile-on-change-${suffix}`;
  let queueUrl = '';
  let pattern: unknown;

  beforeAll(async () => {
    const { resources } = materialize(transformTemplate(PARAMS), PARAMS);
    pattern = resources.PolicyChangeRule!.Properties.EventPattern;
    await events.send(new CreateEventBusCommand({ Name: busName }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `cors-compiler-stand-in-${suffix}` }))).QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await events.send(new PutRuleCommand({ Name: ruleName, EventBusName: busName, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }));
    await events.send(new PutTargetsCommand({ Rule: ruleName, EventBusName: busName, Targets: [{ Id: 'compiler', Arn: Attributes!.QueueArn! }] }));
  });

  afterAll(async () => {
    await events.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ['compiler'] })).catch(() => undefined);
    await events.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName })).catch(() => undefined);
    await events.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    events.destroy();
    sqs.destroy();
  });

  /** Puts the changes as events, then returns the parameter names of those the queue received. */
  async function deliver(changes: Change[]): Promise<string[]> {
    const { FailedEntryCount, Entries } = await events.send(
      new PutEventsCommand({
        Entries: changes.map((c) => ({
          EventBusName: busName,
          Source: c.source ?? 'aws.ssm',
          DetailType: c.detailType ?? 'Parameter Store Change',
          Resources: [`arn:aws:ssm:us-east-1:123456789012:parameter${c.name}`],
          Detail: JSON.stringify({ name: c.name, type: 'String', operation: c.operation, description: '' }),
        })),
      }),
    );
    expect([FailedEntryCount, Entries?.length]).toEqual([0, changes.length]);
    const received: string[] = [];
    // Drain until one empty receive: moto delivers during PutEvents.
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) break;
      for (const m of Messages) {
        const event = JSON.parse(m.Body!) as { source: string; 'detail-type': string; detail: { name: string; operation: string } };
        expect([event.source, event['detail-type']]).toEqual(['aws.ssm', 'Parameter Store Change']);
        received.push(event.detail.name);
      }
    }
    return received.sort();
  }

  test('the pattern is the one the template builds for the policy path', () => {
    expect(pattern).toEqual({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: [{ prefix: `${POLICY_PATH}/` }] } });
  });

  test('a created, updated, deleted or relabelled parameter under the path, nested ones included, triggers the compiler', async () => {
    const received = await deliver([
      { name: `${POLICY_PATH}/products`, operation: 'Update' },
      { name: `${POLICY_PATH}/orders`, operation: 'Create' },
      { name: `${POLICY_PATH}/legacy`, operation: 'Delete' },
      { name: `${POLICY_PATH}/teams/a/invoices`, operation: 'Create' },
      { name: `${POLICY_PATH}/products`, operation: 'LabelParameterVersion' },
    ]);
    expect(received).toEqual(
      [`${POLICY_PATH}/legacy`, `${POLICY_PATH}/orders`, `${POLICY_PATH}/products`, `${POLICY_PATH}/products`, `${POLICY_PATH}/teams/a/invoices`].sort(),
    );
  });

  test('a path that merely shares the prefix, the path itself, other casing, another source or another detail type does not', async () => {
    const received = await deliver([
      { name: '/cors/shop-api-other/products', operation: 'Update' },
      { name: '/cors/shop-apix', operation: 'Create' },
      { name: POLICY_PATH, operation: 'Update' },
      { name: '/CORS/shop-api/products', operation: 'Update' },
      { name: '/cors', operation: 'Update' },
      { source: 'custom.shop', name: `${POLICY_PATH}/products`, operation: 'Update' },
      { detailType: 'Parameter Store Policy Action', name: `${POLICY_PATH}/products`, operation: 'Update' },
      // and one that matches, so an empty result cannot come from a broken rule
      { name: `${POLICY_PATH}/products`, operation: 'Update' },
    ]);
    expect(received).toEqual([`${POLICY_PATH}/products`]);
  });
});
