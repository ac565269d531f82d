import type { Severity } from '../types.js'

/** How one rule is described to people: in SARIF, in the text report and in docs/rules.md. */
export interface RuleDescription {
  /** One line: what the rule detects. */
  readonly title: string
  /** What a finding means, why it matters, and the fix. Inline code in backticks. */
  readonly help: string
  readonly defaultSeverity: Severity
}

/**
 * Every rule id of DESIGN.md. Ids are stable: tools and people filter on them.
 * `static-*` stands for the family of static script / binding.gyp pattern rules (see {@link findRule}).
 */
export const ruleCatalog: Readonly<Record<string, RuleDescription>> = {
  'credential-read': {
    title: 'An install script read a credential file or credential variable',
    help: 'The hook opened a file such as ~/.npmrc, ~/.aws/credentials, ~/.ssh/id_*, ~/.git-credentials, ~/.docker/config.json or ~/.kube/config, or read a token variable. In the sandbox it only found decoys, but a legitimate install script has no reason to look. Do not approve the package; report it to the registry if it is not yours. If the access is expected (rare), remove the package and find an alternative rather than widening the policy.',
    defaultSeverity: 'error',
  },
  'secret-exfiltration': {
    title: 'A canary or real secret value was seen leaving the sandbox',
    help: 'A value planted as a decoy credential, or a real secret, appeared in an outbound request, DNS query or connection. This is credential theft in progress. Remove the package, rotate any real credential on the machine as a precaution, check other machines that installed the same version, and report the package to the registry.',
    defaultSeverity: 'error',
  },
  'egress-blocked': {
    title: 'An install script tried to reach a host the policy does not allow, and was stopped',
    help: 'The egress proxy refused a connection from the hook. If the host is a download the package genuinely needs (a prebuilt binary, for example), grant it to that package only in safe-install.policy.json under `packages.<name>.network`, then run `safe-install rebuild <name>`. Otherwise leave it blocked.',
    defaultSeverity: 'error',
  },
  'egress-unexpected': {
    title: 'An install script reached a host the policy does not allow (report mode)',
    help: 'In report mode the connection was let through and recorded; in enforce mode it would have been blocked. Check that the host is one the package needs. If it is, grant it to that package under `packages.<name>.network` in safe-install.policy.json; if not, treat the package as hostile and remove it.',
    defaultSeverity: 'error',
  },
  'direct-connection': {
    title: 'An install script opened a socket that bypassed the egress proxy',
    help: 'The hook connected (TCP, UDP, raw or IPv6) without going through the proxy it was given, which is how malware evades proxy logging. Legitimate installers honour the proxy variables. Do not approve the package. Run `safe-install doctor` to get the network namespace, which stops such connections instead of only recording them.',
    defaultSeverity: 'error',
  },
  'dns-query': {
    title: 'An install script looked up a host it is not granted',
    help: 'Inside the namespace sandbox every DNS query goes to a stub that never asks the real DNS: it records the name and answers with a private loopback address, so a connection that follows is handed to the egress proxy and decided by policy. Names can carry stolen data (DNS tunnelling). Look at the queried name in the evidence: a long or random-looking label is a red flag. If the package needs the host, grant it under `packages.<name>.network` in safe-install.policy.json; lookups of granted hosts are not reported.',
    defaultSeverity: 'warning',
  },
  'metadata-endpoint': {
    title: 'An install script tried to reach a cloud metadata endpoint',
    help: 'The hook contacted 169.254.169.254 or a similar instance-metadata address, which hands out cloud credentials on CI runners and VMs. No install script needs this. Remove the package and report it.',
    defaultSeverity: 'error',
  },
  'write-outside-package': {
    title: 'An install script wrote outside its own package directory',
    help: 'The hook created or changed a file outside node_modules/<name> and its private tmp. If it is a cache the package legitimately needs (for example ~/.cache/puppeteer), grant that path to the package under `packages.<name>.write` in safe-install.policy.json and run `safe-install rebuild <name>`. Otherwise do not approve it. A `~/...` grant is that directory of your real home: a note with `evidence.grant` says where a hook wrote through one (it stays after the install), and a warning with `evidence.grant` says why one could not be mapped (`evidence.reason`, `evidence.fix`) and was left in the throwaway home.',
    defaultSeverity: 'error',
  },
  'persistence': {
    title: 'An install script tried to make itself run again later',
    help: 'The hook wrote to a shell rc file, a systemd/launchd unit or crontab, a CI workflow, a git hook, or an editor or AI-agent configuration, so that code would run after the install. This is a hallmark of malware. Remove the package, inspect the path named in the evidence on every machine that installed it, and report it.',
    defaultSeverity: 'error',
  },
  'package-tamper': {
    title: "An install script changed another package or the project's manifests",
    help: 'The hook modified files of another package in node_modules, or package.json, the lockfile or other project files, which lets it plant code that runs at require() time, outside the sandbox. Remove the package, run `safe-install ci` on a clean checkout, and review the diff of the project files.',
    defaultSeverity: 'error',
  },
  'escaped-process': {
    title: 'A process started by an install script outlived its hook',
    help: 'A detached or daemonised process was still running when the hook ended; safe-install killed it. Malware uses this to act after the install, when nobody is watching. Do not approve the package unless you know why it starts a background service.',
    defaultSeverity: 'error',
  },
  'process-spawn': {
    title: 'An install script ran a notable program',
    help: 'The hook executed a binary often used in attacks (curl, wget, python, bun, trufflehog, an AI command-line tool ...). Some installers use these legitimately to fetch binaries; check the command line in the evidence. If it is expected, approve the package with `safe-install policy approve <name>`; if not, deny it with `safe-install policy deny <name>`.',
    defaultSeverity: 'warning',
  },
  'script-timeout': {
    title: 'An install script ran past its time limit and was killed',
    help: 'The hook did not finish in time. A slow native build can need longer: raise `packages.<name>.timeoutSec` in safe-install.policy.json and run `safe-install rebuild <name>`. A hook that hangs waiting for the network may be trying to reach a blocked host; check the egress findings.',
    defaultSeverity: 'warning',
  },
  'script-failed': {
    title: 'An install script exited with an error',
    help: 'The hook exited with a non-zero status or a signal. In the sandbox this often means it needed a host, path or variable the policy does not grant; the other findings of the same package usually say which. Grant what it legitimately needs and run `safe-install rebuild <name>`, or mark the dependency optional if it works without its script.',
    defaultSeverity: 'warning',
  },
  'unreviewed-script': {
    title: 'A package has an install script nobody has approved',
    help: 'The package has no allowScripts entry in package.json, so its script was skipped or run sandboxed, depending on `--unreviewed`. Read the script, then approve it with `safe-install policy approve <name>` (which also pins its content) or deny it with `safe-install policy deny <name>`; both write the allowScripts field of package.json as npm 11 does, so npm and safe-install share it. Then run `safe-install rebuild <name>`.',
    defaultSeverity: 'warning',
  },
  'script-changed': {
    title: 'An approved install script differs from the version that was approved',
    help: 'The script content no longer matches the pin recorded at approval, for example after an update or a hijacked release. This is how a trusted package turns hostile. Read the new script before anything else; if it is fine, approve it again with `safe-install policy approve <name>` to pin the new content.',
    defaultSeverity: 'error',
  },
  'approval-carried': {
    title: 'An approval carried over to a new version whose install code is unchanged',
    help: 'The package had no allowScripts entry for this version, but its install commands and every file they run are byte-identical to a version approved with a content pin (safe-install.policy.json), so it ran as approved. Nothing to do; to pin this version too, run `safe-install policy approve <name>`.',
    defaultSeverity: 'note',
  },
  'install-script': {
    title: 'A package in the lockfile has an install script',
    help: 'The package will run code at install time (preinstall, install, postinstall, or an implicit node-gyp build). It is not a problem by itself, but every such package is attack surface. Make sure it is approved on purpose: `safe-install policy review`.',
    defaultSeverity: 'note',
  },
  'lockfile-insecure-protocol': {
    title: 'A lockfile entry is fetched over an unencrypted protocol',
    help: 'The resolved URL uses http:// or git://, so anyone on the network path can swap the code. Change the registry or dependency to https:// (or git+ssh / git+https), then regenerate the lockfile with `safe-install install`.',
    defaultSeverity: 'error',
  },
  'lockfile-untrusted-host': {
    title: 'A lockfile entry resolves to a host other than the configured registries',
    help: 'The resolved URL points outside the registries of your npm configuration. Attackers edit lockfiles in pull requests to do exactly this, because reviewers rarely read them. Unless the host is yours on purpose, restore the lockfile from a trusted commit or regenerate it.',
    defaultSeverity: 'error',
  },
  'lockfile-missing-integrity': {
    title: 'A lockfile entry has no integrity hash',
    help: 'Without an integrity value npm cannot check that the tarball is the one that was locked. Regenerate the entry (remove it and run `safe-install install`) so that npm records a sha512 integrity.',
    defaultSeverity: 'warning',
  },
  'lockfile-weak-integrity': {
    title: 'A lockfile entry is protected only by a weak hash',
    help: 'The integrity value uses sha1 (or another broken algorithm) instead of sha512. Regenerate the entry with `safe-install install` so that npm records a sha512 integrity.',
    defaultSeverity: 'warning',
  },
  'lockfile-name-mismatch': {
    title: "A lockfile entry's name does not match the package its URL resolves to",
    help: 'The location says one package but the resolved URL fetches another, a way to slip a different package under a trusted name. Unless it is an alias you declared (npm:other@version), restore the lockfile from a trusted commit or regenerate it.',
    defaultSeverity: 'error',
  },
  'lockfile-git-source': {
    title: 'A dependency is installed from a git repository',
    help: 'Git dependencies bypass the registry, are not covered by integrity hashes in the same way, and run their prepare script at install time. Prefer a published version; if you keep it, pin a full commit hash.',
    defaultSeverity: 'warning',
  },
  'lockfile-remote-tarball': {
    title: 'A dependency is installed from a remote tarball URL',
    help: 'The package comes from an arbitrary URL rather than a registry, so its content can change behind the same address. Prefer a published version; if you keep it, make sure the entry has a sha512 integrity.',
    defaultSeverity: 'warning',
  },
  'lockfile-path-traversal': {
    title: 'A lockfile location or link points outside the project',
    help: 'A location or link target contains `..` or an absolute path, so installing would write or link outside node_modules. Lockfiles written by npm never do this: restore the lockfile from a trusted commit.',
    defaultSeverity: 'error',
  },
  'lockfile-duplicate': {
    title: 'A lockfile entry appears more than once',
    help: 'The same key is written twice; npm reads only the last one, so a reviewer reading the first may approve something else. Lockfiles written by npm never do this: restore the lockfile from a trusted commit or regenerate it.',
    defaultSeverity: 'error',
  },
  'known-malicious': {
    title: 'A package version is listed as malicious in the OSV database',
    help: 'The name and version match a malicious-package record imported with `safe-install db import`. Remove the dependency, regenerate the lockfile, rotate credentials on machines that installed it, and read the advisory in the evidence.',
    defaultSeverity: 'error',
  },
  'static-*': {
    title: 'An install script or binding.gyp contains a suspicious pattern',
    help: 'A static check found a construct typical of malware (piping a download into a shell, obfuscated or encoded code, reading credential paths, commands hidden in binding.gyp ...), without running anything. Read the script and the matched text in the evidence before approving the package.',
    defaultSeverity: 'warning',
  },
}

/** The description of a rule id; `static-<name>` ids fall back to the `static-*` family. */
export const findRule = (id: string): RuleDescription | undefined =>
  ruleCatalog[id] ?? (id.startsWith('static-') ? ruleCatalog['static-*'] : undefined)
