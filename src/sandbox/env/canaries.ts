/**
 * Canary credentials: random per run, shaped like the real thing (prefixes, lengths, file formats)
 * so a payload takes them and a later layer recognises them leaving. Never a real secret.
 */

export type RandomBytes = (size: number) => Buffer

export interface Canaries {
  readonly npmToken: string
  readonly githubToken: string
  readonly awsAccessKeyId: string
  readonly awsSecretAccessKey: string
  readonly gitPassword: string
  readonly dockerAuth: string
  readonly kubeToken: string
  readonly netrcPassword: string
  readonly sshPrivateKey: string
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

const pick = (random: RandomBytes, alphabet: string, length: number): string =>
  [...random(length)].map((byte) => alphabet[byte % alphabet.length]).join('')

const fakeOpenSshKey = (random: RandomBytes): string => {
  const body = random(300).toString('base64')
  const lines = body.match(/.{1,70}/g) ?? []
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n')
}

export const makeCanaries = (random: RandomBytes): Canaries => ({
  npmToken: `npm_${pick(random, ALNUM, 36)}`,
  githubToken: `ghp_${pick(random, ALNUM, 36)}`,
  awsAccessKeyId: `AKIA${pick(random, UPPER_B32, 16)}`,
  awsSecretAccessKey: random(30).toString('base64'),
  gitPassword: `ghp_${pick(random, ALNUM, 36)}`,
  dockerAuth: Buffer.from(`ci-bot:${pick(random, ALNUM, 24)}`).toString('base64'),
  kubeToken: `eyJhbGciOiJSUzI1NiJ9.${random(48).toString('base64url')}.${random(64).toString('base64url')}`,
  netrcPassword: pick(random, ALNUM, 32),
  sshPrivateKey: fakeOpenSshKey(random),
})

/** Every canary value, for the detectors that look for them leaving. */
export const canaryValues = (canaries: Canaries): readonly string[] => Object.values<string>({ ...canaries })

/** The variables attackers look for first, filled with canaries. */
export const canaryEnv = (canaries: Canaries): Readonly<Record<string, string>> => ({
  NPM_TOKEN: canaries.npmToken,
  NODE_AUTH_TOKEN: canaries.npmToken,
  GITHUB_TOKEN: canaries.githubToken,
  GH_TOKEN: canaries.githubToken,
  AWS_ACCESS_KEY_ID: canaries.awsAccessKeyId,
  AWS_SECRET_ACCESS_KEY: canaries.awsSecretAccessKey,
})

/** Files of the decoy home, relative to it, with their content and mode. */
export const decoyHomeFiles = (
  canaries: Canaries,
  registryHost: string,
): ReadonlyArray<{ readonly path: string; readonly content: string; readonly mode: number }> => [
  { path: '.npmrc', content: `//${registryHost}/:_authToken=${canaries.npmToken}\n`, mode: 0o600 },
  {
    path: '.aws/credentials',
    content: `[default]\naws_access_key_id = ${canaries.awsAccessKeyId}\naws_secret_access_key = ${canaries.awsSecretAccessKey}\n`,
    mode: 0o600,
  },
  { path: '.aws/config', content: '[default]\nregion = us-east-1\n', mode: 0o600 },
  { path: '.ssh/id_ed25519', content: canaries.sshPrivateKey, mode: 0o600 },
  { path: '.ssh/id_ed25519.pub', content: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI build@ci\n', mode: 0o644 },
  { path: '.git-credentials', content: `https://ci-bot:${canaries.gitPassword}@github.com\n`, mode: 0o600 },
  { path: '.gitconfig', content: '[user]\n\tname = build\n\temail = build@localhost\n[credential]\n\thelper = store\n', mode: 0o644 },
  { path: '.docker/config.json', content: `${JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: canaries.dockerAuth } } }, null, 2)}\n`, mode: 0o600 },
  {
    path: '.kube/config',
    content: [
      'apiVersion: v1', 'kind: Config', 'current-context: prod',
      'clusters:', '- name: prod', '  cluster:', '    server: https://kubernetes.default.svc',
      'users:', '- name: deployer', '  user:', `    token: ${canaries.kubeToken}`,
      'contexts:', '- name: prod', '  context:', '    cluster: prod', '    user: deployer', '',
    ].join('\n'),
    mode: 0o600,
  },
  { path: '.config/gh/hosts.yml', content: `github.com:\n    oauth_token: ${canaries.githubToken}\n    user: ci-bot\n    git_protocol: https\n`, mode: 0o600 },
  { path: '.netrc', content: `machine github.com login ci-bot password ${canaries.netrcPassword}\n`, mode: 0o600 },
]
