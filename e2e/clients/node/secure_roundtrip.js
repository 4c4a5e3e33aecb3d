#!/usr/bin/env node
// kafkajs over a secured listener, run by the e2e suite (SecureClientsIT):
//
//   node secure_roundtrip.js BOOTSTRAP TOPIC COUNT PARTITIONS
//     produces COUNT keyed records ("key-i" -> "value-i") to the existing TOPIC with an idempotent
//     acks=all producer, then reads every partition back from offset 0 (partition_reader.js) and
//     checks each record is there once, in order.
//
// Security settings from the environment, as the Python scripts read them (secure_common.py):
// RUNNEL_E2E_CA_PEM; RUNNEL_E2E_SASL_USER and RUNNEL_E2E_SASL_PASSWORD for SASL_SSL with
// RUNNEL_E2E_SASL_MECHANISM (SCRAM-SHA-512 by default); otherwise SSL, with RUNNEL_E2E_CERT_PEM and RUNNEL_E2E_KEY_PEM as the client
// certificate. Prints one line starting with "OK " on success; otherwise "FAIL ..." and exits 1.
'use strict'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')
const { readFromZero } = require('./partition_reader')

const [bootstrap, topic, countArg, partitionsArg] = process.argv.slice(2)
const count = Number(countArg)
const partitions = Number(partitionsArg || 1)

function fail(message) {
  console.log(`FAIL ${message}`)
  process.exit(1)
}

// kafkajs' ssl option is Node's tls.connect options; sasl is its own.
function security() {
  const env = process.env
  const ssl = { ca: [fs.readFileSync(env.RUNNEL_E2E_CA_PEM, 'utf-8')] }
  if (env.RUNNEL_E2E_SASL_USER) {
    const mechanism = (env.RUNNEL_E2E_SASL_MECHANISM || 'SCRAM-SHA-512').toLowerCase()
    return { ssl, sasl: { mechanism, username: env.RUNNEL_E2E_SASL_USER, password: env.RUNNEL_E2E_SASL_PASSWORD } }
  }
  if (env.RUNNEL_E2E_CERT_PEM) {
    ssl.cert = fs.readFileSync(env.RUNNEL_E2E_CERT_PEM, 'utf-8')
    ssl.key = fs.readFileSync(env.RUNNEL_E2E_KEY_PEM, 'utf-8')
  }
  return { ssl, sasl: undefined }
}

async function main() {
  const { ssl, sasl } = security()
  const kafka = new Kafka({
    clientId: 'runnel-e2e-kafkajs-secure',
    brokers: [bootstrap],
    ssl,
    sasl,
    logLevel: logLevel.WARN,
    // Generous: the machine is small and shared; these are hang guards, not speed checks.
    connectionTimeout: 10000,
    requestTimeout: 60000,
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  for (let i = 0; i < count; i += 50) {
    const messages = []
    for (let j = i; j < Math.min(count, i + 50); j++) messages.push({ key: `key-${j}`, value: `value-${j}` })
    const acks = await producer.send({ topic, acks: -1, messages })
    for (const ack of acks) {
      if (ack.errorCode !== 0) fail(`produce ack error ${JSON.stringify(ack)}`)
    }
  }
  await producer.disconnect()

  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  if (offsets.length !== partitions) fail(`${topic} has ${offsets.length} partitions, wanted ${partitions}`)

  const fetched = await readFromZero({ bootstrap, clientId: 'runnel-e2e-kafkajs-secure-fetch', topic, partitionEnds: offsets, ssl, sasl })
  const seen = new Set()
  for (const [partition, records] of fetched) {
    let previous = -1
    for (const record of records) {
      const index = Number(record.value.toString().replace('value-', ''))
      if (record.key.toString() !== `key-${index}`) fail(`key ${record.key} carries value ${record.value}`)
      if (index <= previous) fail(`partition ${partition}: value-${index} after value-${previous}`)
      if (seen.has(index)) fail(`value-${index} read twice`)
      previous = index
      seen.add(index)
    }
  }
  if (seen.size !== count) fail(`read ${seen.size} distinct records, produced ${count}`)
  console.log(`OK produced=${count} consumed=${seen.size} protocol=${sasl ? 'SASL_SSL' : 'SSL'}`)
}

if (!bootstrap || !topic || !(count > 0)) fail('usage: secure_roundtrip.js BOOTSTRAP TOPIC COUNT PARTITIONS')
main().then(() => process.exit(0), error => fail(`${error.name}: ${error.message}`))
