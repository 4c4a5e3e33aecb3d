#!/usr/bin/env node
// kafkajs round trip, run by the e2e suite (KafkajsRoundTripIT) against a broker on loopback.
//
//   node roundtrip.js produce-fetch BOOTSTRAP TOPIC COUNT PARTITIONS
//     creates TOPIC through kafkajs' admin, produces COUNT keyed records ("key-i" -> "value-i")
//     with an idempotent acks=all producer, checks the admin's fetchTopicOffsets, then reads
//     every partition back from offset 0 and checks each record is there once, in order.
//   node roundtrip.js group-consume BOOTSTRAP TOPIC COUNT
//     reads TOPIC through kafkajs' consumer, which only works with consumer groups.
//
// Why the fetch half uses kafkajs internals: kafkajs has no assign()/seek() consumer; its public
// consumer always joins a group. The read goes through partition_reader.js (kafkajs' own Fetch
// encoder and record-batch decoder, pointed at each partition's leader from offset 0).
//
// Prints one line starting with "OK " on success; otherwise "FAIL ..." and exits 1.
'use strict'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const { Kafka, logLevel } = require('kafkajs')
const { readFromZero } = require('./partition_reader')

const [mode, bootstrap, topic, countArg, partitionsArg] = process.argv.slice(2)
const count = Number(countArg)
const partitions = Number(partitionsArg || 1)

function fail(message) {
  console.log(`FAIL ${message}`)
  process.exit(1)
}

const kafka = new Kafka({
  clientId: 'runnel-e2e-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  // Generous: the machine is small and shared; these are hang guards, not speed checks.
  connectionTimeout: 10000,
  requestTimeout: 60000,
})

async function produceAndFetch() {
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  })
  if (!created) fail(`createTopics reported that ${topic} already existed`)
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
  const partitionCount = metadata.topics[0].partitions.length
  if (partitionCount !== partitions) fail(`metadata shows ${partitionCount} partitions, wanted ${partitions}`)

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const sent = []
  for (let i = 0; i < count; i += 50) {
    const messages = []
    for (let j = i; j < Math.min(count, i + 50); j++) messages.push({ key: `key-${j}`, value: `value-${j}` })
    const acks = await producer.send({ topic, acks: -1, messages })
    for (const ack of acks) {
      if (ack.errorCode !== 0) fail(`produce ack error ${JSON.stringify(ack)}`)
    }
    sent.push(...messages)
  }
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets(topic)
  const total = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0)
  if (total !== count) fail(`fetchTopicOffsets shows ${total} records, produced ${count}: ${JSON.stringify(offsets)}`)
  await admin.disconnect()

  const fetched = await readFromZero({ bootstrap, clientId: 'runnel-e2e-kafkajs-fetch', topic, partitionEnds: offsets })
  const seen = new Map()
  for (const [partition, records] of fetched) {
    let previous = -1
    for (const record of records) {
      const index = Number(record.value.toString().replace('value-', ''))
      if (record.key.toString() !== `key-${index}`) fail(`key ${record.key} carries value ${record.value}`)
      if (index <= previous) fail(`partition ${partition}: value-${index} after value-${previous}`)
      if (seen.has(index)) fail(`value-${index} read twice`)
      previous = index
      seen.set(index, partition)
    }
  }
  if (seen.size !== count) fail(`read ${seen.size} distinct records, produced ${count}`)
  const used = new Set(seen.values()).size
  console.log(`OK produced=${count} fetched=${seen.size} partitions=${partitionCount} partitionsUsed=${used}`)
}

async function groupConsume() {
  const consumer = kafka.consumer({ groupId: `runnel-e2e-kafkajs-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen = new Set()
  await new Promise((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value.toString())
        if (seen.size >= count) resolve()
      },
    }).catch(reject)
  })
  await consumer.disconnect()
  console.log(`OK consumed=${seen.size}`)
}

const modes = { 'produce-fetch': produceAndFetch, 'group-consume': groupConsume }
if (!modes[mode] || !bootstrap || !topic || !(count > 0)) {
  fail('usage: roundtrip.js produce-fetch|group-consume BOOTSTRAP TOPIC COUNT [PARTITIONS]')
}
modes[mode]().then(() => process.exit(0), error => fail(`${error.name}: ${error.message}`))
