// The GraphQL-over-HTTP spec's own audit (graphql-http's auditServer) against a running server.
// Usage: node audit.mjs <url of /graphql>. Prints one JSON line per audit: {id, name, status, reason?}.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}
const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
  }
  console.log(JSON.stringify(line));
}
