// ort_worker.js — runs one ONNX model with ONNX Runtime (onnxruntime-node,
// CPU execution provider) for the peer benchmark (bench/peers/run.py),
// driven line by line on stdin like dlc_worker.c:
//
//   node ort_worker.js MODEL.onnx INPUT.bin SHAPE THREADS
//     SHAPE = comma-separated input dims; INPUT.bin = raw float32, C order
//   stdin:  "run K"    -> stdout: K run times in ms, one line
//           "out PATH" -> writes output 0 as raw float32, prints "ok"
//
// Session: graph optimisation level "all", intra-op threads = THREADS,
// inter-op threads 1, sequential execution. NODE_PATH must reach
// onnxruntime-node (run.sh installs it under build/peers/ort).
'use strict';
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputPath, shapeArg, threadsArg] = process.argv.slice(2);
  const threads = parseInt(threadsArg || '1', 10);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const shape = shapeArg.split(',').map(Number);
  const buf = fs.readFileSync(inputPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, shape)};
  let last = null;
  process.stdout.write('ready\n');
  const rl = readline.createInterface({input: process.stdin});
  for await (const line of rl) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'run') {
      const k = parseInt(parts[1], 10);
      const times = [];
      for (let i = 0; i < k; i++) {
        const t0 = process.hrtime.bigint();
        last = await session.run(feeds);
        const t1 = process.hrtime.bigint();
        times.push((Number(t1 - t0) / 1e6).toFixed(6));
      }
      process.stdout.write(times.join(' ') + '\n');
    } else if (parts[0] === 'out') {
      if (!last) last = await session.run(feeds);
      const y = last[session.outputNames[0]].data;
      fs.writeFileSync(parts[1], Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      process.stdout.write('ok\n');
    } else {
      break;
    }
  }
  process.exit(0);
}

main().catch((e) => { console.error('ort_worker: ' + e); process.exit(1); });
