import * as fs from 'node:fs';
import * as path from 'node:path';
import { routeTableMarkdown } from '../../contract/http-api';

/** The first Markdown table after a heading, as its lines. */
function tableAfter(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'));
  return lines.slice(first, end < 0 ? undefined : end).join('\n');
}

describe('the README', () => {
  it('lists the contract\'s routes in its "Calling the API" table (paste routeTableMarkdown() there after a change)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(tableAfter(readme, '## Calling the API')).toBe(routeTableMarkdown());
  });
});
