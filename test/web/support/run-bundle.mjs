// Runs an exported bundle as a user's Node.js program would: imports its module, answers the requests read from
// stdin (a JSON array of inference request bodies) and prints where it answered from and each answer or error.
// Usage: node run-bundle.mjs <bundle folder> [fallback URL]
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';

const [folder, fallbackUrl] = process.argv.slice(2);
const bundle = await import(pathToFileURL(join(folder, 'model-endpoint.js')).href);
if (fallbackUrl !== undefined) bundle.configure({ fallbackUrl });
const requests = JSON.parse(await text(process.stdin));
const answers = [];
for (const request of requests) {
  try {
    answers.push({ body: await bundle.infer(request) });
  } catch (error) {
    answers.push({ error: { name: error.name, status: error.status, message: error.message } });
  }
}
process.stdout.write(JSON.stringify({ placement: await bundle.placement(), answers }));
