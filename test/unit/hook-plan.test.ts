import { describe, expect, it } from 'vitest'
import { hookPlan } from '../../src/hook-plan.js'

const plan = (runsRoot: boolean, scripts: Record<string, string> = { postinstall: 'x', prepare: 'y', test: 'z' }) => {
  const told: number[] = []
  return { told, plan: hookPlan({ runsRoot, rootPackage: () => ({ scripts }), onPlanned: (total) => told.push(total) }) }
}

describe('hookPlan', () => {
  it('numbers the hooks as they arrive', () => {
    const { plan: p } = plan(false)
    expect([p.arrived(), p.arrived()]).toEqual([1, 2])
  })

  it('tells the hooks already seen, those the build queued and the project\'s own', () => {
    const { plan: p, told } = plan(true)
    p.arrived() // a git dependency's prepare, before the build
    p.built(4)
    expect(told).toEqual([1 + 4 + 2])
    p.rootStarting()
    expect(told).toHaveLength(1)
  })

  it("counts the project's own scripts when they run without a build", () => {
    const { plan: p, told } = plan(true)
    p.rootStarting()
    expect(told).toEqual([2])
  })

  it('adds a second build to what is expected', () => {
    const { plan: p, told } = plan(false)
    p.built(3)
    for (let i = 0; i < 3; i += 1) p.arrived()
    p.built(2)
    expect(told).toEqual([3, 5])
  })
})
