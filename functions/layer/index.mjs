import cjs from './index.js';
export const { withCors, corsHeaders } = cjs;
export default cjs;
