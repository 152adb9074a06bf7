// Asks again and again while the tab is shown: one request in flight at
// most, the next one intervalMs after the last answer; none while the tab
// is hidden (asked at once when it shows again), none after stop().
export function createPoller ({ intervalMs, load, onData, onError }) {
  let timer = null
  let inFlight = false
  let again = false // now() was called while a request was in flight
  let stopped = false
  const stopHooks = []

  const poller = {
    last: null, // the last answer
    start (first) {
      document.addEventListener('visibilitychange', onVisibility)
      if (first) {
        deliver(first)
        schedule()
      } else {
        poller.now()
      }
    },
    // Ask now (the window changed, the tab showed): after the one in flight.
    now () {
      if (stopped) return
      clearTimeout(timer)
      timer = null
      if (inFlight) again = true
      else tick()
    },
    stop () {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisibility)
      for (const hook of stopHooks.splice(0)) hook()
    },
    onStop (hook) { stopHooks.push(hook) }
  }

  function deliver (data) {
    poller.last = data
    onData(data)
  }

  function schedule () {
    clearTimeout(timer)
    timer = stopped || document.hidden ? null : setTimeout(tick, intervalMs)
  }

  async function tick () {
    clearTimeout(timer) // one chain of requests, whoever called
    timer = null
    if (stopped || document.hidden || inFlight) return
    inFlight = true
    try {
      const data = await load()
      if (!stopped) deliver(data)
    } catch (error) {
      if (!stopped) onError(error)
    } finally {
      inFlight = false
    }
    if (again) {
      again = false
      return tick()
    }
    schedule()
  }

  function onVisibility () {
    if (document.hidden) {
      clearTimeout(timer)
      timer = null
    } else {
      tick()
    }
  }

  return poller
}
