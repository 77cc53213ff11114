// The baseline for an ES module entry: a Lambda handler that does nothing, loaded with import().
export const handler = async () => ({ statusCode: 200, body: '' });
