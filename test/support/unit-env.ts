// Unit tests never reach a real endpoint: without keys in the environment the
// store takes the SDK client path, which aws-sdk-client-mock intercepts (the
// light signed client would otherwise send real requests from a developer's
// shell that has AWS keys set).
for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
