package dev.hearth.engine.model;

/**
 * A projection {@code y = (W x) · scale + bias}: a weight matrix with an optional bias vector and an optional scalar
 * scale (BitNet's per-tensor {@code .scale}; 1 when absent).
 */
record Linear(Matrix weight, float[] bias, float scale) {

    Linear {
        if (bias != null && bias.length != weight.rows()) {
            throw new IllegalArgumentException("bias of " + bias.length + " values for a matrix of " + weight.rows() + " rows");
        }
    }

    int rows() {
        return weight.rows();
    }

    int cols() {
        return weight.cols();
    }

    /** {@code y[b*rows + r]} for every input row b of {@code x}. */
    void apply(Activations x, float[] y) {
        weight.multiply(x, y);
        int rows = rows(), n = x.batch() * rows;
        if (scale != 1.0f) {
            for (int i = 0; i < n; i++) y[i] *= scale;
        }
        if (bias != null) {
            for (int b = 0; b < x.batch(); b++) {
                int o = b * rows;
                for (int r = 0; r < rows; r++) y[o + r] += bias[r];
            }
        }
    }
}
