// Reads partitions from offset 0 with kafkajs' own Fetch encoder and record-batch decoder (what its
// consumer runs underneath), shared by roundtrip.js and compression.js.
//
// Why kafkajs internals: kafkajs has no assign()/seek() consumer; its public consumer always joins
// a group and starts wherever the group says. This goes through kafkajs' Cluster/Broker classes,
// pointed at each partition's leader, and reads every partition from offset 0 to a given end.
'use strict'

const { logLevel } = require('kafkajs')
const Cluster = require('kafkajs/src/cluster')
const { createLogger } = require('kafkajs/src/loggers')
const LoggerConsole = require('kafkajs/src/loggers/console')
const socketFactory = require('kafkajs/src/network/socketFactory')

// partitionEnds: [{ partition, high }] as kafkajs' admin.fetchTopicOffsets returns them. Resolves
// to Map partition -> messages (kafkajs' decoded records: offset, key, value, ...), offsets 0..high-1.
// Rejects with an Error naming the partition when the log is not contiguous from 0 or a fetch fails.
// ssl and sasl (optional): kafkajs' own client options, for a secured listener.
async function readFromZero({ bootstrap, clientId, topic, partitionEnds, ssl, sasl }) {
  const cluster = new Cluster({
    logger: createLogger({ level: logLevel.WARN, logCreator: LoggerConsole }),
    socketFactory: socketFactory(),
    // Generous: the machine is small and shared; these are hang guards, not speed checks.
    connectionTimeout: 10000,
    requestTimeout: 60000,
    enforceRequestTimeout: true,
    allowAutoTopicCreation: false,
    brokers: [bootstrap],
    ssl,
    sasl,
    clientId,
    retry: { retries: 5 },
  })
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const result = new Map()
    for (const { partition, high } of partitionEnds) {
      result.set(partition, await readPartition(cluster, topic, partition, Number(high)))
    }
    return result
  } finally {
    await cluster.disconnect()
  }
}

async function readPartition(cluster, topic, partition, end) {
  const records = []
  let next = 0
  let attempts = 0
  while (next < end) {
    if (++attempts > 1000) throw new Error(`partition ${partition}: no progress past offset ${next}`)
    const leader = cluster.findTopicPartitionMetadata(topic).find(p => p.partitionId === partition).leader
    const broker = await cluster.findBroker({ nodeId: String(leader) })
    const response = await broker.fetch({
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1048576,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 1048576 }] }],
    })
    const data = response.responses[0].partitions[0]
    if (data.errorCode !== 0) throw new Error(`fetch partition ${partition} offset ${next}: error code ${data.errorCode}`)
    for (const message of data.messages) {
      if (Number(message.offset) < next) continue // a batch may start before the fetch offset
      if (Number(message.offset) >= end) break
      if (Number(message.offset) !== next) {
        throw new Error(`partition ${partition}: offset ${message.offset} where ${next} was expected`)
      }
      records.push(message)
      next++
    }
  }
  return records
}

module.exports = { readFromZero }
