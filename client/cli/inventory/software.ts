import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson, printTable } from '../output';
import { withInventoryStore } from './db-command';

export function inventorySoftwareCommand(): Command {
  return defineCommand({
    name: 'software',
    description: "the client's installed software (from discovery) as supported, unsupported (with its remediation path) or unknown, against the MSP's list",
    options: {
      client: clientOption(),
      list: option('--list <file>', "the MSP's software list (YAML or CSV); default: the list as the last discovery loaded it", ({ z }) => z.string().min(1, 'must name a file')),
      csv: option('--csv', 'print CSV (name,status,remediation,hosts) instead of a table', ({ z }) => z.boolean()),
      json: jsonOption('print {"clientId","software":[…]} as one JSON document'),
    },
    run: async (opts) => {
      const [{ clientSoftware }, { readSoftwareListFile }, { badInput }] = await Promise.all([
        import('../../../activities/store/software-store.js'),
        import('../../../activities/discovery/software-list-file.js'),
        import('../../errors.js'),
      ]);
      let list: import('../../../domain/discovery/software-list').SoftwareEntry[] | undefined;
      if (opts.list) {
        const read = readSoftwareListFile(opts.list);
        if (!read.ok) throw badInput(`${opts.list} is not a valid software list`, 'each entry needs name and status (supported | unsupported); unsupported ones a remediation: manual-with-proof or "other-tool: NAME"', read.problems);
        list = read.entries;
      }
      const software = await withInventoryStore(opts.client, (db) => clientSoftware(db, opts.client, new Date(), list));
      if (opts.json) {
        printJson({ clientId: opts.client, software });
        return;
      }
      if (opts.csv) {
        const cell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
        process.stdout.write(['name,status,remediation,hosts', ...software.map((s) => [s.name, s.status, s.remediation ?? '', s.hosts.join(';')].map(cell).join(','))].join('\n') + '\n');
        return;
      }
      if (software.length === 0) {
        info(`${opts.client}: no application inventory yet; run \`patchctl inventory discover --client ${opts.client}\``);
        return;
      }
      printTable(['software', 'status', 'remediation', 'hosts'], software.map((s) => [s.name, s.status, s.remediation ?? '', s.hosts.length > 3 ? `${s.hosts.slice(0, 3).join(', ')} +${s.hosts.length - 3}` : s.hosts.join(', ')]));
      const count = (status: string) => software.filter((s) => s.status === status).length;
      info(`${software.length} applications: ${count('supported')} supported, ${count('unsupported')} unsupported, ${count('unknown')} unknown`);
    },
  });
}
