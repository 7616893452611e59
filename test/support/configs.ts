/**
 * YAML pieces the end-to-end tests' configs share. Container tests turn the
 * host rules off, so that this machine's own CPU, memory or disks cannot add
 * messages to the ones a test counts.
 */
export const HOST_RULES_OFF = `host:
  cpu: { enabled: false }
  memory: { enabled: false }
  swap: { enabled: false }
  load: { enabled: false }
  disk: { enabled: false }
  inodes: { enabled: false }`;
