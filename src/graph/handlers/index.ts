/** Registers the built-in layer handlers (one file per layer family). */
import './input.js';
import './conv.js';
import './dense.js';
import './depthwise.js';
import './separable.js';
import './normalization.js';
import './prelu.js';
import './elementwise.js';
import './spatial.js';
import './merge.js';
import './reshape.js';
