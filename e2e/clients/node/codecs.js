#!/usr/bin/env node
// kafkajs' compression codecs, all of them: kafkajs carries gzip itself and throws "not
// implemented" for the rest unless a plugin is registered. require('./codecs') registers
//   snappy: kafkajs-snappy (snappyjs, pure JavaScript; reads xerial-framed snappy too)
//   lz4:    kafkajs-lz4 (the native lz4 module, built from source by npm)
//   zstd:   @kafkajs/zstd (the native cppzst module, built from source by npm)
// and exports byName: Kafka's codec names (as in compression.type) -> kafkajs CompressionTypes.
//
// `node codecs.js` round-trips a buffer through every codec and prints "OK ..." (bin/install-test-deps
// runs it, so a native module that did not build shows there, not as a failing test).
'use strict'

const { CompressionTypes, CompressionCodecs } = require('kafkajs')
const LZ4Codec = require('kafkajs-lz4')

CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec
CompressionCodecs[CompressionTypes.ZSTD] = require('@kafkajs/zstd')()

const byName = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

async function selfTest() {
  const input = Buffer.from('runnel codec self-test '.repeat(100))
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd']) {
    const codec = CompressionCodecs[byName[name]]()
    const compressed = await codec.compress({ buffer: input })
    const output = await codec.decompress(compressed)
    if (!Buffer.from(output).equals(input)) throw new Error(`${name}: decompress(compress(x)) differs from x`)
    if (compressed.length >= input.length) throw new Error(`${name}: ${input.length} bytes did not shrink`)
  }
  return Object.keys(byName).join(',')
}

module.exports = { byName }

if (require.main === module) {
  selfTest().then(
    names => console.log(`OK kafkajs codecs ${names}`),
    error => {
      console.log(`FAIL ${error.stack || error}`)
      process.exit(1)
    })
}
