import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { defuseServiceCommands, guardServiceCommands } from '../../../src/ci/log-commands.js'

describe('defuseServiceCommands', () => {
  it('breaks Azure and TeamCity commands anywhere in a line, in any case', () => {
    expect(defuseServiceCommands('##vso[task.setvariable variable=X]y')).toBe('##vso\\u005btask.setvariable variable=X]y')
    expect(defuseServiceCommands('50% done ##VSO[task.prependpath]/x')).toBe('50% done ##VSO\\u005btask.prependpath]/x')
    expect(defuseServiceCommands("##teamcity[setParameter name='a' value='b']")).toBe("##teamcity\\u005bsetParameter name='a' value='b']")
    expect(defuseServiceCommands('a ##vso[x]\nb ##vso[y]')).not.toMatch(/##vso\[/)
  })

  it('leaves everything else as it is', () => {
    for (const text of ['', 'plain', '## heading', '##[group]x', '# vso[', '##vs[o', '::error::x']) expect(defuseServiceCommands(text)).toBe(text)
  })

  it('keeps JSON exact: the marker is an escape of the same bracket', () => {
    const value = { output: 'a\\##vso[task.complete result=Failed]\n"##teamcity[x]"' }
    const json = defuseServiceCommands(JSON.stringify(value))
    expect(json).not.toMatch(/##(vso|teamcity)\[/)
    expect(JSON.parse(json)).toEqual(value)
  })
})

describe('guardServiceCommands', () => {
  const capture = (): { stream: NodeJS.WriteStream; text: () => string } => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream
    const chunks: Buffer[] = []
    ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => chunks.push(chunk))
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
  }

  it('defuses strings and buffers written to the stream, once however often it is guarded', async () => {
    const { stream, text } = capture()
    guardServiceCommands(stream)
    guardServiceCommands(stream)
    stream.write('##vso[a]\n')
    stream.write(Buffer.from('é ##teamcity[b]\n'))
    stream.write(new Uint8Array(Buffer.from('ok\n')))
    await new Promise((resolve) => setImmediate(resolve))
    expect(text()).toBe('##vso\\u005ba]\né ##teamcity\\u005bb]\nok\n')
  })
})
