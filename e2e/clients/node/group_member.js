#!/usr/bin/env node
// One kafkajs consumer-group member for the e2e suite (ConsumerGroupKafkajsIT):
//
//   node group_member.js BOOTSTRAP TOPIC GROUP THROTTLE_MS
//
// kafkajs' consumer (classic protocol, its round-robin assigner, autoCommit on: it commits after
// each batch and when a rebalance starts) subscribes to TOPIC from the beginning and prints what
// happens in the line protocol the suite parses (GroupMember.java):
//   ASSIGNED 0,2 / REVOKED 0,2 / RECORD p offset value / COMMITTED 0:12,2:7 / CLOSED / ERROR text
// kafkajs has no revoke callback: each GROUP_JOIN event carries the member's whole new assignment,
// printed as REVOKED (the previous one) then ASSIGNED (the new one). On SIGTERM it disconnects
// (waits for the batch in hand, commits, leaves the group), prints CLOSED and exits 0.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, group, throttleArg] = process.argv.slice(2)
const throttleMs = Number(throttleArg || 0)
const emit = line => process.stdout.write(line + '\n')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

if (!bootstrap || !topic || !group) {
  emit('ERROR usage: group_member.js BOOTSTRAP TOPIC GROUP THROTTLE_MS')
  process.exit(2)
}

const kafka = new Kafka({
  clientId: 'runnel-e2e-kafkajs-member',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  connectionTimeout: 10000,
  requestTimeout: 60000,
})

async function main() {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 500 })
  let assigned = []
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const now = (payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    emit('REVOKED ' + assigned.join(','))
    emit('ASSIGNED ' + now.join(','))
    assigned = now
  })
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
    const offsets = []
    for (const t of payload.topics) for (const p of t.partitions) offsets.push(`${p.partition}:${p.offset}`)
    if (offsets.length) emit('COMMITTED ' + offsets.join(','))
  })
  // A retriable error (e.g. COORDINATOR_LOAD_IN_PROGRESS while a fresh broker creates
  // __consumer_offsets) "crashes" the consumer with restart=true and kafkajs starts it again: noted,
  // not an error. A crash it does not restart from is.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const message = payload.error && payload.error.message
    emit(payload.restart ? `# crash, restarting: ${message}` : `ERROR crash: ${message}`)
  })

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await consumer.disconnect()
    emit('CLOSED')
    process.exit(0)
  }
  process.on('SIGTERM', () => stop().catch(e => { emit(`ERROR ${e.name}: ${e.message}`); process.exit(1) }))
  process.on('SIGINT', () => stop())

  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      emit(`RECORD ${partition} ${message.offset} ${message.value.toString()}`)
      if (throttleMs > 0) await sleep(throttleMs)
    },
  })
}

main().catch(e => {
  emit(`ERROR ${e.name}: ${e.message}`)
  process.exit(1)
})
