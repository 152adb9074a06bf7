// The counter page's entry (built to dist/assets/counter.js).
import { start } from './counter/app.js'

start()
