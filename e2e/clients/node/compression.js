#!/usr/bin/env node
// kafkajs' side of the compression matrix (CompressionMatrixIT), with every codec registered
// (codecs.js):
//
//   node compression.js produce BOOTSTRAP INPUT CHUNK PARTITION TOPIC=CODEC [TOPIC=CODEC ...]
//     sends INPUT's "key<TAB>value" lines, in order, to PARTITION of each TOPIC compressed with
//     CODEC (gzip, snappy, lz4, zstd, none): one producer.send() of CHUNK records at a time, so
//     each send is one batch; idempotent, acks=all. Prints "OK produced=N".
//   node compression.js consume BOOTSTRAP TOPIC [TOPIC ...]
//     reads every partition of each TOPIC from offset 0 up to its end offset (fetchTopicOffsets at
//     the start) through partition_reader.js, and prints one line per record,
//     "topic<TAB>partition<TAB>offset<TAB>key<TAB>value" (kcat's -f '%t\t%p\t%o\t%k\t%s\n'), then
//     "OK consumed=N". The JUnit side checks the records.
//
// Anything that goes wrong prints "FAIL ..." and exits 1.
'use strict'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')
const { byName } = require('./codecs')
const { readFromZero } = require('./partition_reader')

const [mode, bootstrap, ...rest] = process.argv.slice(2)

function fail(message) {
  fs.writeSync(1, `FAIL ${message}\n`)
  process.exit(1)
}

const kafka = new Kafka({
  clientId: 'runnel-e2e-kafkajs-compression',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  // Hang guards, not speed checks.
  connectionTimeout: 10000,
  requestTimeout: 60000,
})

async function produce(input, chunk, partition, targets) {
  const records = fs.readFileSync(input, 'utf8').split('\n').filter(line => line.length > 0).map(line => {
    const tab = line.indexOf('\t')
    return { key: line.slice(0, tab), value: line.slice(tab + 1), partition }
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  for (const { topic, codec } of targets) {
    for (let i = 0; i < records.length; i += chunk) {
      const acks = await producer.send({ topic, acks: -1, compression: codec, messages: records.slice(i, i + chunk) })
      for (const ack of acks) {
        if (ack.errorCode !== 0) fail(`${topic}: produce ack error ${JSON.stringify(ack)}`)
      }
    }
  }
  await producer.disconnect()
  fs.writeSync(1, `OK produced=${records.length * targets.length}\n`)
}

async function consume(topics) {
  const admin = kafka.admin()
  await admin.connect()
  const lines = []
  for (const topic of topics) {
    const partitionEnds = await admin.fetchTopicOffsets(topic)
    const read = await readFromZero({ bootstrap, clientId: 'runnel-e2e-kafkajs-compression-read', topic, partitionEnds })
    for (const [partition, messages] of read) {
      for (const m of messages) lines.push(`${topic}\t${partition}\t${m.offset}\t${m.key}\t${m.value}\n`)
    }
  }
  await admin.disconnect()
  fs.writeSync(1, lines.join('') + `OK consumed=${lines.length}\n`)
}

function parseTargets(args) {
  return args.map(arg => {
    const [topic, name] = arg.split('=')
    if (!(name in byName)) fail(`unknown codec in ${arg}; one of ${Object.keys(byName)}`)
    return { topic, codec: byName[name] }
  })
}

const modes = {
  produce: () => {
    const [input, chunk, partition, ...targets] = rest
    if (!input || !(Number(chunk) > 0) || !(Number(partition) >= 0) || targets.length === 0) {
      fail('usage: compression.js produce BOOTSTRAP INPUT CHUNK PARTITION TOPIC=CODEC...')
    }
    return produce(input, Number(chunk), Number(partition), parseTargets(targets))
  },
  consume: () => {
    if (rest.length === 0) fail('usage: compression.js consume BOOTSTRAP TOPIC...')
    return consume(rest)
  },
}
if (!modes[mode] || !bootstrap) fail('usage: compression.js produce|consume BOOTSTRAP ...')
modes[mode]().then(() => process.exit(0), error => fail(`${error.name}: ${error.message}`))
