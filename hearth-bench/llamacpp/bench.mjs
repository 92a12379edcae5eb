// llama-bench's pp/tg tests through node-llama-cpp's prebuilt llama.cpp (the npm package ships the library and
// JS bindings, no llama-bench binary). pp<P>: P random token ids evaluated as one prompt on an empty cache;
// tg<N>: N tokens decoded one at a time (greedy) from an empty cache. One warm-up run, then R measured runs;
// prints tokens/s as mean ± sample standard deviation, like llama-bench.
//
//   node bench.mjs -m FILE.gguf [-m FILE2.gguf ...] [-p 512] [-n 128] [-r 3] [-t 1,2] [--json]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import path from "node:path";

function parseArgs(argv) {
    const a = {models: [], prompt: 512, gen: 128, reps: 3, threads: [1], json: false, batch: 512};
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i], v = () => argv[++i];
        if (k === "-m") a.models.push(v());
        else if (k === "-p") a.prompt = Number(v());
        else if (k === "-n") a.gen = Number(v());
        else if (k === "-r") a.reps = Number(v());
        else if (k === "-t") a.threads = v().split(",").map(Number);
        else if (k === "-b") a.batch = Number(v());
        else if (k === "--json") a.json = true;
        else throw new Error(`unknown argument ${k}`);
    }
    if (a.models.length === 0) throw new Error("give at least one -m FILE.gguf");
    return a;
}

const mean = xs => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = xs => xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

function randomTokens(n, vocab, seed) {
    let s = seed >>> 0; // xorshift32: reproducible ids, like llama-bench's std::rand() % n_vocab
    const ids = [];
    for (let i = 0; i < n; i++) {
        s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        ids.push(s % vocab);
    }
    return ids;
}

async function timeRuns(reps, run) {
    await run(); // warm-up
    const ns = [];
    for (let r = 0; r < reps; r++) {
        const t0 = process.hrtime.bigint();
        await run();
        ns.push(Number(process.hrtime.bigint() - t0));
    }
    return ns;
}

const args = parseArgs(process.argv.slice(2));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error,
    maxThreads: Math.max(...args.threads)});
const results = [];
for (const file of args.models) {
    const model = await llama.loadModel({modelPath: path.resolve(file), gpuLayers: 0});
    const nVocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32000;
    for (const threads of args.threads) {
        const context = await model.createContext({contextSize: args.prompt + args.gen + 32, batchSize: args.batch,
            threads: {ideal: threads, min: threads}, flashAttention: false});
        const seq = context.getSequence();
        const tests = [];
        if (args.prompt > 0) {
            const tokens = randomTokens(args.prompt, nVocab, 1234);
            tests.push([`pp${args.prompt}`, args.prompt, await timeRuns(args.reps, async () => {
                await seq.clearHistory();
                await seq.evaluateWithoutGeneratingNewTokens(tokens);
            })]);
        }
        if (args.gen > 0) {
            const first = randomTokens(1, nVocab, 99);
            tests.push([`tg${args.gen}`, args.gen, await timeRuns(args.reps, async () => {
                await seq.clearHistory();
                let n = 0;
                // The first token evaluated is the seed token; each of the N steps decodes one token.
                for await (const _ of seq.evaluate(first, {temperature: 0})) {
                    if (++n >= args.gen) break;
                }
            })]);
        }
        for (const [test, n, ns] of tests) {
            const ts = ns.map(x => n * 1e9 / x);
            results.push({model: path.basename(file), size: model.size, threads, test, avg_ts: mean(ts), stddev_ts: sd(ts),
                samples_ts: ts});
        }
        await context.dispose();
    }
    await model.dispose();
}
if (args.json) {
    console.log(JSON.stringify({llama_cpp: llama.llamaCppRelease, cpu: llama.systemInfo, results}, null, 2));
} else {
    console.log(`llama.cpp ${JSON.stringify(llama.llamaCppRelease)}`);
    console.log("| model | threads | test | t/s |\n| --- | ---: | ---: | ---: |");
    for (const r of results) console.log(`| ${r.model} | ${r.threads} | ${r.test} | ${r.avg_ts.toFixed(2)} ± ${r.stddev_ts.toFixed(2)} |`);
}
