import { ExitCode } from '../../errors.js';
import { renderSchema } from '../../schema/index.js';
import { defineCommand } from '../command.js';
import { writeLine } from '../../app/io.js';

export const schemaCommand = defineCommand({
  command: 'schema',
  describe: "print rostersync's LDAP schema, for slapd.conf or as a cn=config LDIF",
  builder: (yargs) =>
    yargs
      .option('format', {
        choices: ['schema', 'ldif'] as const,
        default: 'schema' as const,
        describe: 'schema: slapd.conf include file; ldif: cn=config entry for ldapadd',
      })
      .example('$0 schema --format ldif | ldapadd -Y EXTERNAL -H ldapi:///', 'load into a cn=config server'),
  run: (args, io) => {
    writeLine(io.stdout, renderSchema(args.format));
    return Promise.resolve(ExitCode.ok);
  },
});
