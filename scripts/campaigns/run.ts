/*
 * Runs campaigns: `npm run campaign -- NAME` runs scripts/campaigns/NAME.ts, `npm run campaigns`
 * runs every file of this folder. Each prints one JSON line; the exit code is 1 when anything broke,
 * 2 for an unknown campaign name. Campaigns are found by file name, so adding one is adding a file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { campaignLine, type CampaignModule } from './support/campaign';

function available(): string[] {
  return readdirSync(__dirname)
    .filter((name) => /\.js$/.test(name) && name !== 'run.js')
    .map((name) => name.replace(/\.js$/, ''))
    .sort();
}

async function runOne(name: string): Promise<boolean> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(join(__dirname, `${name}.js`)) as Partial<CampaignModule>;
    if (typeof module.campaign !== 'function') throw new Error(`scripts/campaigns/${name}.ts does not export a campaign function`);
    const { line, broken } = campaignLine(name, await module.campaign());
    process.stdout.write(`${line}\n`);
    return broken;
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ campaign: name, error: error instanceof Error ? error.message : String(error) })}\n`);
    return true;
  }
}

async function main(args: string[]): Promise<number> {
  const names = available();
  const wanted = args.includes('--all') ? names : args.filter((a) => !a.startsWith('-'));
  if (wanted.length === 0) {
    process.stderr.write(`usage: npm run campaign -- NAME (one of ${names.join(', ')}), or npm run campaigns\n`);
    return 2;
  }
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown campaign ${unknown.join(', ')}; known: ${names.join(', ')}\n`);
    return 2;
  }
  let broken = false;
  for (const name of wanted) broken = (await runOne(name)) || broken;
  return broken ? 1 : 0;
}

void main(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
