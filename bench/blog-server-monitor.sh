#!/bin/bash
# The blog's server-monitor.sh (the first script of ../shared/seed/*.txt), kept
# as written: same commands, same pipelines, same comparisons, same curl.
# BENCH CHANGES (only these, each marked "BENCH:" below):
#   1. WEBHOOK_URL comes from $WEBHOOK_URL (the local bench/receiver.mjs),
#      instead of the hard-coded https://hooks.slack.com/services/~ placeholder.
#   2. CPU_THRESHOLD, MEMORY_THRESHOLD, DISK_THRESHOLD come from the environment,
#      defaulting to the blog's 80 / 90 / 90.
# Nothing else differs; curl's output still goes wherever the caller sends it.

# Slack Webhook URL (수정 필요)
# BENCH: was WEBHOOK_URL="https://hooks.slack.com/services/~"
WEBHOOK_URL="${WEBHOOK_URL:?set WEBHOOK_URL to the receiver URL (bench/receiver.mjs)}"

# Server Information
HOSTNAME=$(hostname)
TIMESTAMP=$(date "+%Y-%m-%d %H:%M:%S")

# System Metrics
CPU_USAGE=$(top -bn1 | grep "Cpu(s)" | awk '{print $2 + $4}')
MEMORY_USAGE=$(free -m | awk '/Mem/{printf "%.2f", $3/$2 * 100}')
DISK_USAGE=$(df -h / | awk 'NR==2 {print $5}' | sed 's/%//')
LOAD_AVG=$(uptime | awk -F'load average:' '{print $2}' | xargs)
UPTIME=$(uptime -p)
ACTIVE_PROCESSES=$(ps aux | wc -l)

# Thresholds
# BENCH: were CPU_THRESHOLD=80, MEMORY_THRESHOLD=90, DISK_THRESHOLD=90
CPU_THRESHOLD=${CPU_THRESHOLD:-80}
MEMORY_THRESHOLD=${MEMORY_THRESHOLD:-90}
DISK_THRESHOLD=${DISK_THRESHOLD:-90}

# Slack Notification Function
send_slack_notification() {
    MESSAGE=$1
    PAYLOAD="{\"text\": \"[Server Alert] \n${MESSAGE}\"}"
    curl -X POST --data-urlencode "payload=${PAYLOAD}" "$WEBHOOK_URL"
}

# CPU Usage Check
if (( $(echo "$CPU_USAGE > $CPU_THRESHOLD" | bc -l) )); then
    send_slack_notification "High CPU Usage Detected: ${CPU_USAGE}%\nLoad Average: ${LOAD_AVG}"
fi

# Memory Usage Check
if (( $(echo "$MEMORY_USAGE > $MEMORY_THRESHOLD" | bc -l) )); then
    send_slack_notification "High Memory Usage Detected: ${MEMORY_USAGE}%\nActive Processes: ${ACTIVE_PROCESSES}"
fi

# Disk Usage Check
if (( DISK_USAGE > DISK_THRESHOLD )); then
    send_slack_notification "High Disk Usage Detected: ${DISK_USAGE}%\nSystem Uptime: ${UPTIME}"
fi
