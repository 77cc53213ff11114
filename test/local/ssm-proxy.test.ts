// The local Parameter Store's change events: what AWS emits for each kind of write
// (Systems Manager user guide, sysman-paramstore-cwe), one event per parameter.
import { changeEvents } from '../../scripts/local/ssm-proxy';

const at = { region: 'eu-west-1', account: '111122223333', now: new Date('2026-12-06T10:00:00.123Z') };

test('PutParameter: Create for version 1, Update for an overwrite, with the type and description of the request', () => {
  const [created] = changeEvents('PutParameter', JSON.stringify({ Name: '/cors/a/p', Type: 'String', Value: '{}', Description: 'd' }), '{"Version":1}', at);
  expect(created).toEqual({
    version: '0',
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: '111122223333',
    time: '2026-12-06T10:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:ssm:eu-west-1:111122223333:parameter/cors/a/p'],
    detail: { name: '/cors/a/p', type: 'String', operation: 'Create', description: 'd' },
  });
  const [updated] = changeEvents('PutParameter', JSON.stringify({ Name: '/cors/a/p', Value: '{}', Overwrite: true }), '{"Version":4}', at);
  expect(updated?.detail).toEqual({ name: '/cors/a/p', type: 'String', operation: 'Update', description: '' });
});

test('DeleteParameter, DeleteParameters (one event per deleted name, none for invalid ones) and LabelParameterVersion', () => {
  expect(changeEvents('DeleteParameter', '{"Name":"/cors/a/p"}', '{}', at).map((e) => e.detail.operation)).toEqual(['Delete']);
  const batch = changeEvents(
    'DeleteParameters',
    '{"Names":["/cors/a/p","/cors/a/q","/nope"]}',
    '{"DeletedParameters":["/cors/a/p","/cors/a/q"],"InvalidParameters":["/nope"]}',
    at,
  );
  expect(batch.map((e) => [e.detail.name, e.detail.operation])).toEqual([
    ['/cors/a/p', 'Delete'],
    ['/cors/a/q', 'Delete'],
  ]);
  expect(changeEvents('LabelParameterVersion', '{"Name":"/cors/a/p","Labels":["x"]}', '{}', at)[0]?.detail.operation).toBe('LabelParameterVersion');
});

test('reads and unreadable bodies produce nothing', () => {
  expect(changeEvents('GetParametersByPath', '{"Path":"/cors/a"}', '{}', at)).toEqual([]);
  expect(changeEvents('PutParameter', 'not json', '{"Version":1}', at)).toEqual([]);
});
