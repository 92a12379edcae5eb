// llama.cpp serving several sequences at once, as `llama-server -np N` does (node-llama-cpp batches the pending
// evaluations of a context's sequences into one decode): N sequences each evaluate a P-token prompt and then
// generate G tokens greedily, all started together. Prints aggregate generated tokens/s and time to first token.
//   node parallel.mjs -m FILE.gguf -np 8 -p 149 -n 32 -t 2
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import path from "node:path";

const a = {np: 8, prompt: 149, gen: 32, threads: 2};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = () => argv[++i];
    if (k === "-m") a.model = v();
    else if (k === "-np") a.np = Number(v());
    else if (k === "-p") a.prompt = Number(v());
    else if (k === "-n") a.gen = Number(v());
    else if (k === "-t") a.threads = Number(v());
    else throw new Error(`unknown argument ${k}`);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: a.threads});
const model = await llama.loadModel({modelPath: path.resolve(a.model), gpuLayers: 0});
const vocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32000;
const context = await model.createContext({contextSize: a.np * (a.prompt + a.gen + 32), sequences: a.np, batchSize: 512,
    threads: {ideal: a.threads, min: a.threads}, flashAttention: false});

async function run(np) {
    const t0 = process.hrtime.bigint();
    const ttft = [];
    await Promise.all(Array.from({length: np}, async (_, s) => {
        const seq = context.getSequence();
        const tokens = Array.from({length: a.prompt}, (_, i) => (s * 7919 + i * 104729) % vocab);
        let n = 0;
        for await (const _ of seq.evaluate(tokens, {temperature: 0})) {
            if (n === 0) ttft.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (++n >= a.gen) break;
        }
        seq.dispose();
    }));
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    ttft.sort((x, y) => x - y);
    const p = q => ttft[Math.min(ttft.length - 1, Math.ceil(q * ttft.length) - 1)];
    console.log(`llama.cpp ${np} sequences, ${a.threads} threads: ${(np * a.gen / secs).toFixed(2)} generated tokens/s, `
        + `time to first token p50 ${(p(0.5) / 1000).toFixed(2)} s, p95 ${(p(0.95) / 1000).toFixed(2)} s, ${secs.toFixed(1)} s in all`);
}
await run(1); // warm-up
await run(1);
await run(a.np);
await context.dispose();
await model.dispose();
