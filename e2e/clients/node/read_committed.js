#!/usr/bin/env node
// kafkajs' consumer reads a topic with readUncommitted: false (isolation level read_committed),
// for ReadCommittedClientsIT:
//
//   node read_committed.js BOOTSTRAP TOPIC GROUP PARTITIONS
//
// kafkajs' public consumer always joins a group: this one (a fresh GROUP, fromBeginning, no
// commits) subscribes to TOPIC and collects records until every one of PARTITIONS has delivered
// its record with value "end" (the producer's last, committed transaction writes one to each
// partition, so anything committed or aborted before it has been either delivered or dropped by
// then). Prints one line per record, "partition<TAB>offset<TAB>key<TAB>value", then
// "OK consumed=N"; "FAIL ..." and exit 1 on an error or after a 120 s hang guard.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, group, partitionsArg] = process.argv.slice(2)
const fail = message => {
  process.stdout.write(`FAIL ${message}\n`)
  process.exit(1)
}
if (!bootstrap || !topic || !group || !partitionsArg) fail('usage: read_committed.js BOOTSTRAP TOPIC GROUP PARTITIONS')
const partitions = Number(partitionsArg)

const kafka = new Kafka({
  clientId: 'runnel-e2e-kafkajs-read-committed',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  connectionTimeout: 10000,
  requestTimeout: 60000,
})

async function main() {
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false, sessionTimeout: 10000, maxWaitTimeInMs: 500 })
  const lines = []
  const ended = new Set()
  let resolveDone
  const done = new Promise(resolve => { resolveDone = resolve })
  const guard = setTimeout(() => fail(`hang guard: ends seen on ${[...ended]} of ${partitions} partitions, ${lines.length} records`), 120000)
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(`crash: ${payload.error && payload.error.message}`)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key ? message.key.toString() : ''
      const value = message.value ? message.value.toString() : ''
      lines.push(`${partition}\t${message.offset}\t${key}\t${value}\n`)
      if (value === 'end') {
        ended.add(partition)
        if (ended.size === partitions) resolveDone()
      }
    },
  })
  await done
  clearTimeout(guard)
  await consumer.disconnect()
  process.stdout.write(lines.join('') + `OK consumed=${lines.length}\n`)
  process.exit(0)
}

main().catch(e => fail(`${e.name}: ${e.message}`))
