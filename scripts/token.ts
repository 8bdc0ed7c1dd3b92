/**
 * Prints a signed development token, e.g.
 *   npm run token -- --role coordinator --care-giver SE2321000016-CG01 --unit SE2321000016-U001
 * Signs with JWT_SECRET (or the built-in development secret), adding JWT_ISSUER / JWT_AUDIENCE when set.
 */
import { parseArgs } from 'node:util';
import { createSigner } from 'fast-jwt';
import { ConfigError, loadConfig } from '../src/config.js';
import { HSA_ID_MAX_LENGTH, HSA_ID_PATTERN } from '../src/domain/hsa-id.js';
import { ROLES } from '../src/lib/actor.js';

const USAGE = `Prints a signed development token (signed with JWT_SECRET, or the built-in development secret).

  npm run -s token -- [options]

  --role <role>          ${ROLES.join(' | ')} (default coordinator)
  --sub <hsa-id>         the user's HSA-id (default SE2321000016-P001)
  --care-giver <hsa-id>  the care giver (default SE2321000016-CG01)
  --unit <hsa-id>        a unit of the token; repeat for several (default SE2321000016-U001)
  --name <text>          the user's name (optional)
  --expires-in <span>    e.g. 8h, 30m (default 8h)
  --help                 this text
`;

const parse = () =>
  parseArgs({
    options: {
      role: { type: 'string', default: 'coordinator' },
      sub: { type: 'string', default: 'SE2321000016-P001' },
      'care-giver': { type: 'string', default: 'SE2321000016-CG01' },
      unit: { type: 'string', multiple: true, default: ['SE2321000016-U001'] },
      name: { type: 'string' },
      'expires-in': { type: 'string', default: '8h' },
      help: { type: 'boolean', default: false },
    },
  });

// An unknown or malformed option is answered with the usage, not a stack trace.
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(1);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

// A token the service would refuse (401) is refused here, with the reason, instead of printed.
const role = values.role ?? 'coordinator';
if (!(ROLES as readonly string[]).includes(role)) {
  process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`);
  process.exit(1);
}
const notHsa = [values.sub, values['care-giver'], ...(values.unit ?? [])].filter(
  (id) => id === undefined || !HSA_ID_PATTERN.test(id) || id.length > HSA_ID_MAX_LENGTH,
);
if (notHsa.length > 0) {
  process.stderr.write(`not an HSA-id (SE + 10 digits + - + code): ${notHsa.join(', ')}\n`);
  process.exit(1);
}

// A bad environment (a JWT_SECRET too short) is told as the service tells it at start, not with a stack trace.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
if (config.jwt.kind !== 'secret') {
  process.stderr.write(
    'npm run token signs with JWT_SECRET; with JWT_PUBLIC_KEY, get tokens from your identity provider\n',
  );
  process.exit(1);
}
const expiresIn = /^(\d+)([smhd])$/.exec(values['expires-in'] ?? '8h');
const seconds = expiresIn ? Number(expiresIn[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[expiresIn[2] as 's'] : 8 * 3600;
// 0s would be a token expired when printed (fast-jwt would even leave exp out: a token that never expires).
if (!expiresIn || seconds < 1 || seconds * 1000 > config.jwt.maxLifetimeMs) {
  process.stderr.write(
    `--expires-in must be a number above 0 with s, m, h or d, at most JWT_MAX_LIFETIME_MS (${config.jwt.maxLifetimeMs / 1000} s): the service refuses longer tokens\n`,
  );
  process.exit(1);
}
const sign = createSigner({
  key: config.jwt.secret,
  algorithm: 'HS256',
  expiresIn: seconds * 1000,
  ...(config.jwt.issuer ? { iss: config.jwt.issuer } : {}),
  ...(config.jwt.audience ? { aud: config.jwt.audience } : {}),
});
process.stdout.write(
  `${sign({
    sub: values.sub,
    role: values.role,
    careGiverId: values['care-giver'],
    units: values.unit,
    ...(values.name ? { name: values.name } : {}),
  })}\n`,
);
