package dev.hearth.engine.generate;

import java.util.Map;

/**
 * What the APIs report about a loaded model: its id (file name stem), architecture, sizes, the context length a
 * sequence may use, and the GGUF metadata scalars (for Ollama's /api/show and llama.cpp's /props).
 */
public record ModelInfo(String id, String path, String architecture, long parameterCount, long fileSize,
                        int contextLength, int trainedContextLength, int vocabSize, String chatTemplate,
                        Map<String, Object> metadata) {}
