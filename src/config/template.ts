/**
 * The commented lookout.yaml that `lookout init` writes: every option with its
 * default. A test loads it and checks it equals the built-in defaults, so the
 * two cannot drift apart.
 */
export const CONFIG_TEMPLATE = `# Lookout configuration. Every option is shown with its default value.
# Durations: 500ms, 10s, 2m, 1h, 1d (0 = none). Percentages: 0 to 100.
# Check it with:  lookout check --config lookout.yaml
# Every key and every alert explained: docs/configuration.md in Lookout's sources.

# The language of messages (Slack and every other receiver) and of the dashboard:
# en or ko (Korean). Also LOOKOUT_LOCALE, which wins over this.
locale: en

# Name used in messages and the "hostname" label. Default: this machine's host name.
# hostname: web-1

# Where Lookout keeps alert state and undelivered notifications (created if missing).
# Relative paths are relative to this file. Default: data/ next to this file
# (/var/lib/lookout for /etc/lookout/lookout.yaml).
# data_dir: ./data

# Read the host's /proc, /sys and mounts from under this path when Lookout runs
# in a container with the host mounted there (-v /:/host:ro). Also LOOKOUT_HOST_ROOT.
# host_root: /host

# How often to collect and evaluate (100ms to 1h). Disks, inodes and the
# process count are read at most every 10s (they move over minutes).
interval: 10s

# Host rules. An alert fires when the value stays at or above "warning" (or
# "critical") for "for", and resolves only when it falls below the threshold
# minus "hysteresis", so a value hovering at the threshold does not flap.
# Every rule can be turned off with "enabled: false"; "critical: null" removes
# the critical level. "for": 0s to 7d (0s fires on the first sample).
host:
  cpu:                      # busy % of all cores over the interval
    enabled: true
    warning: 80
    critical: 95
    for: 1m
    hysteresis: 5
  memory:                   # (MemTotal - MemAvailable) / MemTotal
    enabled: true
    warning: 90
    critical: 95
    for: 1m
    hysteresis: 5
  swap:                     # used swap %; no alert on a machine without swap
    enabled: true
    warning: 80
    critical: null
    for: 5m
    hysteresis: 5
  disk:                     # used % of each real filesystem, as df computes it
    enabled: true
    warning: 90
    critical: 95
    for: 0s
    hysteresis: 5
    mounts: []              # [] = every real filesystem; or e.g. [/, /var/lib/docker]
  inodes:                   # used inodes %, same filesystems as disk
    enabled: true
    warning: 90
    critical: null
    for: 0s
    hysteresis: 5
  load:                     # 5-minute load average per CPU core
    enabled: true
    warning: 2.0
    critical: null
    for: 5m
    hysteresis: 0.2
  reboot:                   # one message when the host has rebooted: when, how long it was down,
    enabled: true           # and the containers that died with it (each is reported on its own
    severity: warning       # only if it does not come back)

# An alert that fires and resolves more than "max" times within "within" is
# reported once as flapping, then held until it has been stable for "within".
flap:
  max: 4
  within: 30m               # 10s to 7d

# Docker: Lookout reads the Engine API over its socket, read-only (GET requests
# and the event stream only; it never changes a container). It can sit behind a
# socket proxy that allows only containers, events, info, version and _ping.
docker:
  enabled: auto             # auto: watch when Docker answers; true: alert when it does not; false: off
  # socket: unix:///var/run/docker.sock   # else $DOCKER_HOST, else this; tcp://host:2375 works too
  unreachable_for: 30s      # raise docker_unreachable after this long without an answer; 0s to 24h
  stats_concurrency: 16     # stats requests at once
  timeout: 5s               # per request; 1s to 10m

# Containers: every container, running or not. Each rule can be turned off with
# "enabled: false", changed for some containers in "overrides", and changed by a
# container's own labels: lookout.cpu.warning=90, lookout.memory.critical=98,
# lookout.restart_loop.restarts=5, lookout.crashed.enabled=false …
# (labels beat overrides, overrides beat these defaults). Label lookout.ignore=true
# leaves a container out; lookout.expect=exit marks one that is meant to finish;
# lookout.expect=running one that must run whatever its restart policy.
containers:
  include: []               # [] = all; name globs (web-*) or label matchers (com.docker.compose.project=shop)
  exclude: []
  crashed:                  # died with a non-zero exit code nobody asked for (docker stop/compose down are not crashes)
    enabled: true
    severity: critical
    log_lines: 20           # last log lines in the message
    resolve_after: 1m       # over once it has run again this long; 0s to 24h
  oom_killed:               # killed by the kernel for lack of memory (always critical)
    enabled: true
    resolve_after: 1m
  unhealthy:                # health check says unhealthy
    enabled: true
    severity: warning
    for: 0s
  restart_loop:             # restarted this many times within this window
    enabled: true
    severity: critical
    restarts: 3
    within: 10m             # 10s to 24h
  not_running:              # restart policy always/unless-stopped (or lookout.expect=running) but not running
    enabled: true
    severity: critical
    for: 30s
  cpu:                      # % of the CPUs the container may use (its limit, else all cores)
    enabled: true
    warning: 80
    critical: null
    for: 2m
    hysteresis: 5
  memory:                   # % of its memory limit, else of host memory; page cache not counted
    enabled: true
    warning: 90
    critical: null
    for: 1m
    hysteresis: 5
  down_at_start:            # on Lookout's first look (new data directory), the containers already down:
    enabled: true           # one message listing them with Docker's exit code and time, no guess about why
    severity: warning       # (nobody watched them stop); ends quietly after 10 minutes
  overrides: []
  # overrides:
  #   - match: "name=db-*"
  #     memory: { warning: 95 }

notify:
  repeat_interval: 4h       # remind while still firing; 1m to 30d, 0 = never
  send_resolved: true       # say when an alert is over, with its peak and duration
  group_wait: 2s            # what happens within this long goes out as one message per receiver; 0s to 10m
  give_up_after: 24h        # a notification no receiver took this long after its first attempt is marked failed; 1m to 7d
                            # (said in lookout status and in the next message that goes through)
  max_retry_after: 10m      # a receiver's Retry-After longer than this is taken as this (and logged once); 1s to 24h
  timeout: 30s              # 1s to 10m: how long one send waits for the answer; a send that timed out may still
                            # have arrived, so a receiver slower than this can see a notification twice
  # A daily message at this local time: "all clear" or what fires now, with what
  # fired and resolved since the last one. To every Slack receiver, or to one:
  # daily_summary: "09:00"
  # daily_summary: { at: "09:00", receiver: monitoring }
  # Routes: which receiver gets what. Tried in order; a route takes an alert at
  # or above its min_severity whose labels match every "match" (label=glob:
  # alertname, severity, hostname, mount, container, image, compose_project,
  # compose_service); the first route that takes it ends the search unless it
  # has "continue: true". A resolved message goes where its firing went. Each
  # route reminds at its own repeat_interval (default: notify.repeat_interval).
  # [] = every receiver gets everything at or above its own min_severity.
  routes: []
  # routes:
  #   - receiver: oncall              # a receiver's name (or slack[0], webhook[0] for unnamed ones)
  #     min_severity: critical
  #     repeat_interval: 1h
  #     continue: true                # critical alerts go on to the next route too
  #   - receiver: monitoring
  #     min_severity: warning
  #     match: ["alertname=container_*"]
  #     repeat_interval: 24h
  # Generic JSON webhooks, body in Alertmanager's webhook format (version 4),
  # so existing Alertmanager webhook consumers work unchanged.
  webhooks: []
  # webhooks:
  #   - name: pager
  #     url: https://example.com/alertmanager-webhook
  #     headers: { Authorization: "Bearer \${PAGER_TOKEN}" }
  #     header_files: { X-Api-Key: /etc/lookout/pager-key }
  #     min_severity: critical
  # Alertmanager (API v2): alerts join Alertmanager's own, for its routing,
  # grouping across hosts, silences and inhibition. Firing alerts are sent again
  # every resend_every; each send holds 4 × max(resend_every, interval), so
  # Alertmanager has them back soon after a restart and resolves them itself
  # if this agent stops. One entry per member of an Alertmanager cluster.
  alertmanager: []
  # alertmanager:
  #   - url: http://alertmanager:9093   # its own address; /api/v2/alerts is added
  #     min_severity: warning
  #     resend_every: 1m                # 1s to 10m (with check from cron: the cron period)
  # Phone push and paging. ntfy, Gotify and Pushover get a burst as one plain-text
  # message; PagerDuty gets one event per alert (trigger, then resolve, paired
  # by the alert's identity). Secrets as \${VAR} or in a *_file.
  ntfy: []
  # ntfy:
  #   - url: https://ntfy.sh                # the server (default)
  #     topic: lookout-7f3kq9x2m4           # on ntfy.sh the topic is the password: long and random
  #     token: \${NTFY_TOKEN}               # or token_file, or username + password_file
  #     min_severity: warning
  gotify: []
  # gotify:
  #   - url: https://gotify.example.com
  #     token_file: /etc/lookout/gotify-token   # an application's token
  pushover: []
  # pushover:
  #   - token: \${PUSHOVER_APP_TOKEN}       # or token_file
  #     user_key_file: /etc/lookout/pushover-user
  #     device: phone                        # optional: only these devices
  #     emergency: false                     # true: critical alerts repeat until acknowledged
  #     api_url: https://api.pushover.net/1/messages.json
  pagerduty: []
  # pagerduty:
  #   - routing_key: \${PAGERDUTY_ROUTING_KEY}   # an Events API v2 integration key (or routing_key_file)
  #     min_severity: critical
  #     url: https://events.pagerduty.com/v2/enqueue
  # Mail over SMTP: one mail per group of alerts, a text and an HTML part.
  email: []
  # email:
  #   - name: oncall-mail
  #     smtp:
  #       host: smtp.example.com
  #       port: 587                     # default; 465 with secure: true (TLS on connect)
  #       starttls: required            # the default: never in clear; or opportunistic
  #       username: lookout@example.com
  #       password_file: /etc/lookout/smtp-password   # or password: \${SMTP_PASSWORD}
  #     from: "Lookout <lookout@example.com>"
  #     to: [oncall@example.com]
  #     subject_prefix: "[prod]"
  #     min_severity: warning
  # A dead man's switch (Healthchecks.io style): pinged while the agent runs and
  # its checks work, so an agent that died is noticed.
  # heartbeat:
  #   url: https://hc-ping.com/your-uuid
  #   every: 5m             # 1s to 24h
  # Slack incoming webhooks (https://api.slack.com/messaging/webhooks). Without
  # any, alerts are printed on standard output. LOOKOUT_SLACK_WEBHOOK_URL alone
  # also works. Keep the URL out of this file: use \${VAR} or webhook_url_file.
  slack: []
  # slack:
  #   - name: monitoring
  #     webhook_url: \${SLACK_WEBHOOK_URL}   # expanded from the environment
  #     min_severity: warning               # info, warning or critical
  #   - name: oncall
  #     webhook_url_file: /etc/lookout/oncall-webhook   # a file holding the URL
  #     min_severity: critical
  # Chat receivers, each like Slack (outbox, retries, grouping, resolved
  # messages, routes by name). Secrets as \${VAR} or in a *_file.
  # Discord: a channel webhook (channel settings → Integrations → Webhooks).
  discord: []
  # discord:
  #   - name: ops-discord
  #     webhook_url: \${DISCORD_WEBHOOK_URL}   # or webhook_url_file: /etc/lookout/discord-url
  #     min_severity: warning
  # Telegram: a bot (@BotFather) in a chat; message_thread_id for a forum topic;
  # api_url for a self-hosted Bot API server (default https://api.telegram.org).
  telegram: []
  # telegram:
  #   - name: ops-telegram
  #     bot_token_file: /etc/lookout/telegram-token   # or bot_token: \${TELEGRAM_BOT_TOKEN}
  #     chat_id: -1001234567890                      # or "@channelname"
  #     message_thread_id: 42
  #     min_severity: critical
  # Microsoft Teams: a Workflows webhook (channel ⋯ → Workflows → "Post to a
  # channel when a webhook request is received"); Office 365 connectors are retired.
  teams: []
  # teams:
  #   - name: ops-teams
  #     webhook_url_file: /etc/lookout/teams-url     # or webhook_url: \${TEAMS_WEBHOOK_URL}
  #     min_severity: warning

# History: every sample (host and containers) and every event (alerts firing
# and resolving, notifications sent, given up or held back, containers that
# started, died, were OOM-killed, redeployed…) kept in the data directory's
# database, in coarser tiers as they age. Each tier is kept at least as long as
# the one before it. "enabled: false" keeps nothing (and writes nothing).
history:
  enabled: true
  raw: 24h              # every sample, at the collection interval; 1h to 7d
  per_minute: 7d        # 1-minute min/avg/max; 1d to 90d
  per_10_minutes: 30d   # 10-minute min/avg/max; 7d to 365d
  per_hour: 365d        # 1-hour min/avg/max, and the events; 30d to 1825d

# The dashboard and JSON API of "lookout run" (docs/api.md). By default on this
# machine only, open to local processes. Any other address needs a token: the
# agent refuses to start without one. Keep the token out of this file: use
# \${VAR} or auth_token_file (openssl rand -hex 32 makes one, 16 characters at least).
http:
  enabled: true
  listen: 127.0.0.1:9817    # HOST:PORT; also [::1]:9817, 0.0.0.0:9817, :9817 (every interface); LOOKOUT_HTTP_LISTEN overrides it
  # auth_token: \${LOOKOUT_HTTP_TOKEN}       # for scripts (Authorization: Bearer …) and the sign-in form
  # auth_token_file: /etc/lookout/http-token # or a file holding it
  metrics_public: false     # true: /metrics (Prometheus) answers without the token too (a warning at start);
                            # without a token (loopback only) it is open anyway
  # public_url: https://lookout.example.com  # where people reach it (behind a proxy): https makes the cookie Secure;
  #                                          # messages then link to it (Slack: Open in Lookout, Silence 1 h; webhooks: generatorURL)

# Maintenance windows: recurring times when matching alerts are tracked but not
# sent, like a silence that comes back (one-off silences: lookout silence add).
# An alert still firing when its window ends is sent then.
#   cron:     when each window starts: minute hour day-of-month month day-of-week,
#             in this host's local time ("0 3 * * SUN" = Sundays at 03:00)
#   duration: how long it lasts (1m to 31d)
#   match:    label=glob matchers (alertname, severity, hostname, mount, container,
#             image, compose_project, compose_service), one or a list; every one
#             must hold. Without match, the window holds back every alert of this host.
maintenance: []
# maintenance:
#   - cron: "0 3 * * SUN"
#     duration: 1h
#     match: "container=db-*"
#     comment: weekly backups
#   - cron: "30 1 1 * *"                 # the 1st of every month at 01:30
#     duration: 2h
#     match: [alertname=host_disk, mount=/backup]
`;
