import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { displayPath, expandPath, ROUTES } from '../../contract/http-api';
import { OPENAPI_FILE, openApiDocument } from '../../contract/openapi';

const ROOT = path.join(__dirname, '..', '..');
// The validator is an ES module, which this test runner cannot load in-process; its CLI is what CI would run anyway.
const VALIDATE_API = path.join(
  ROOT,
  'node_modules',
  '@seriousme',
  'openapi-schema-validator',
  'bin',
  'validate-api-cli.js',
);

async function validate(document: unknown): Promise<{ valid: boolean; output: string }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [VALIDATE_API, file]);
    return { valid: true, output: stdout };
  } catch (error) {
    return { valid: false, output: String((error as { stdout?: string }).stdout) };
  }
}

describe('the OpenAPI document', () => {
  it(`is committed as ${OPENAPI_FILE} exactly as the contract generates it (run npm run openapi after a change)`, () => {
    const committed: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, OPENAPI_FILE), 'utf8'));
    expect(committed).toEqual(openApiDocument());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const { valid, output } = await validate(openApiDocument());
    expect(output).toContain('"valid": true');
    expect(valid).toBe(true);
  });

  it('fails validation when broken, so the check above means something', async () => {
    const { info: _info, ...withoutInfo } = openApiDocument();
    const { valid, output } = await validate(withoutInfo);
    expect(valid).toBe(false);
    expect(output).toContain('"valid": false');
  });

  it("describes every route of the contract's table, with and without its optional version", () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const described = Object.entries(paths).flatMap(([route, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${route}`),
    );
    const expected = ROUTES.flatMap((route) => expandPath(route.path).map((item) => `${route.method} ${item}`));
    expect(described.sort()).toEqual(expected.sort());
    expect(described).toContain('POST /v2/models/{model}/versions/{version}/infer');
    expect(ROUTES.map((route) => displayPath(route.path))).toContain('/v2/models/<name>[/versions/<version>]/infer');
  });

  it('documents the binary tensor data extension on infer: octet-stream bodies and the header length', () => {
    const infer = (openApiDocument().paths as Record<string, { post: Record<string, unknown> }>)[
      '/v2/models/{model}/infer'
    ]?.post;
    expect(infer).toMatchObject({
      parameters: expect.arrayContaining([{ $ref: '#/components/parameters/Inference-Header-Content-Length' }]),
      requestBody: { content: { 'application/json': {}, 'application/octet-stream': {} } },
      responses: {
        '200': {
          headers: { 'Inference-Header-Content-Length': {} },
          content: { 'application/json': {}, 'application/octet-stream': {} },
        },
        '400': { $ref: '#/components/responses/BadRequest' },
        '413': { $ref: '#/components/responses/PayloadTooLarge' },
      },
    });
  });
});
